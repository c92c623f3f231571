"""
Python imports this module at start-up when its folder is on PYTHONPATH: startEmulator puts it
there for every emulator it starts.

moto's SetDefaultPolicyVersion of the version that is already the default clears it, leaving the
policy with no default version (Policy.update_default_version sets the flag, then unsets it because
the id equals the old default). Real IAM keeps it the default (the call is a no-op). A retried
SetDefaultPolicyVersion (an SDK retry after a timeout whose first attempt went through) hits it;
the fault tests do. Corrected below to IAM's behaviour.

moto, with MOTO_IAM_LOAD_MANAGED_POLICIES=true, parses every AWS managed policy (about 1,300) for
each new account, which dominates setting up 1,000 emulated accounts. With SRG_MOTO_MANAGED_POLICIES
set (comma-separated policy names), they are parsed once and each account gets only those named.
"""

import json
import os

try:
    from moto.iam import models as _iam_models
except ImportError:  # not the emulator's python: nothing to correct
    _iam_models = None


def _update_default_version(self, new_default_version_id):
    for version in self.versions:
        version.is_default = version.version_id == new_default_version_id
    self.default_version_id = new_default_version_id


if _iam_models is not None:
    _iam_models.Policy.update_default_version = _update_default_version

_NAMES = {n for n in os.environ.get("SRG_MOTO_MANAGED_POLICIES", "").split(",") if n}

if _NAMES:
    from moto.iam import models as _models

    _parsed = {}

    def _init_aws_policies(self):
        if not _parsed:
            data = json.loads(_models.aws_managed_policies_data)
            _parsed.update({n: d for n, d in data.items() if n in _NAMES})
        return [
            _models.AWSManagedPolicy.from_data(name, self.account_id, self.region_name, d)
            for name, d in _parsed.items()
        ]

    _models.IAMBackend._init_aws_policies = _init_aws_policies

"""
Python imports this module at start-up when its folder is on PYTHONPATH: only the organization
benchmark's emulator (startEmulator({ managedPolicies })) puts it there.

moto, with MOTO_IAM_LOAD_MANAGED_POLICIES=true, parses every AWS managed policy (about 1,300) for
each new account, which dominates setting up 1,000 emulated accounts. With SRG_MOTO_MANAGED_POLICIES
set (comma-separated policy names), they are parsed once and each account gets only those named.
"""

import json
import os

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

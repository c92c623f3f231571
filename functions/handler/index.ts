import { createHandler } from './create-handler.js';

/** The Lambda entry point: configuration and clients are built once, at cold start. */
export const handler = createHandler();

/**
 * Failure messages and stack traces travel as an encoded payload (so the payload codec encrypts
 * them; Exact's rejection texts can quote amounts and names). Loaded by path: by the worker's
 * workflow bundle, by the worker and by every client (see ./data-converter). Workflow-safe.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });

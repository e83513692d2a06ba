// Worker entry when running from TypeScript sources (tsx CLI, vitest): registers tsx in this
// thread (loader hooks are per thread), then imports the real TypeScript entry named by the manager.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entryUrl);

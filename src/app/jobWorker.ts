/** The worker-thread entry for app jobs (electron-vite bundles it as `out/main/jobWorker.js`). */
import { runJobInWorker } from '../core/node/jobs/worker';
import { runners } from './runners';

void runJobInWorker(runners);

// The TypeScript SDK's job worker as a contender of benchmarks/worker_throughput.py.
//
//   node ts_worker.mjs URL CONCURRENCY WARMUP_S WINDOW_S
//
// Runs a no-op worker (every job completed without variables) of @camunda8/orchestration-cluster-api,
// imported from the folder in $TS_SDK_DIR (the benchmark installs it into .tools/ts-sdk), against the
// fake server at URL; prints one JSON line: jobs, seconds, jobs_per_s, cpu_ms_per_job, jobs_per_poll,
// with the CPU of this process only (process.cpuUsage), over the window after the warm-up.
import { createRequire } from 'node:module';
import path from 'node:path';

const [url, concurrency, warmup, windowSeconds] = process.argv.slice(2);
const require = createRequire(path.join(process.env.TS_SDK_DIR, 'package.json'));
const sdk = await import(require.resolve('@camunda8/orchestration-cluster-api'));
const createCamundaClient = sdk.createCamundaClient ?? sdk.default;

const client = createCamundaClient({
  config: {
    CAMUNDA_REST_ADDRESS: url,
    CAMUNDA_AUTH_STRATEGY: 'NONE',
    CAMUNDA_SDK_LOG_LEVEL: 'error',
  },
});

const sleep = (s) => new Promise((resolve) => setTimeout(resolve, s * 1000));
const stats = async () => (await fetch(`${url}/stats`)).json();

client.createJobWorker({
  jobType: 'bench',
  maxParallelJobs: Number(concurrency),
  jobTimeoutMs: 30_000,
  validateSchemas: false,
  jobHandler: (job) => job.complete(),
});

await sleep(Number(warmup));
const before = await stats();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await sleep(Number(windowSeconds));
const cpu = process.cpuUsage(cpu0);
const seconds = (performance.now() - t0) / 1000;
const after = await stats();
client.stopAllWorkers();
const jobs = after.completed - before.completed;
const polls = after.activations - before.activations;
console.log(
  JSON.stringify({
    jobs,
    seconds,
    jobs_per_s: jobs / seconds,
    cpu_ms_per_job: jobs ? (cpu.user + cpu.system) / 1000 / jobs : null,
    jobs_per_poll: polls ? jobs / polls : null,
  }),
);
process.exit(0);

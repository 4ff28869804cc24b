// The fake job server of benchmarks/worker_throughput.py in Node (--server node):
//
//   node fake_server.mjs PORT LIFETIME_S
//
// Same endpoints as the Python one: POST /v2/jobs/activation hands out maxJobsToActivate jobs,
// POST /v2/jobs/{key}/completion answers 204, GET /stats reports counts and this process's CPU
// seconds (so the benchmark can show the server is not the bottleneck). Exits after LIFETIME_S.
import http from 'node:http';

const [port, lifetime] = process.argv.slice(2).map(Number);
const template =
  '{"type":"bench","processDefinitionId":"p","processDefinitionVersion":1,' +
  '"elementId":"task","customHeaders":{},"worker":"w","retries":3,' +
  '"deadline":1700000000000,"variables":{"n":1},"tenantId":"<default>",' +
  '"jobKey":"KEY","processInstanceKey":"2251799813685249",' +
  '"processDefinitionKey":"2251799813685248","elementInstanceKey":"2251799813685250",' +
  '"kind":"BPMN_ELEMENT","listenerEventType":"UNSPECIFIED","tags":[],"priority":0,' +
  '"physicalTenantId":"default","userTask":null,"rootProcessInstanceKey":null,' +
  '"businessId":null,"leaseToken":null}';
const stats = { completed: 0, activations: 0, activated: 0 };
let nextKey = 2251799813700000;

const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    if (req.url.endsWith('/jobs/activation')) {
      const wanted = JSON.parse(Buffer.concat(chunks).toString() || '{}').maxJobsToActivate ?? 1;
      const jobs = [];
      for (let i = 0; i < wanted; i++) jobs.push(template.replace('KEY', String(++nextKey)));
      stats.activations += 1;
      stats.activated += wanted;
      const body = '{"jobs":[' + jobs.join(',') + ']}';
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    } else if (req.url.endsWith('/completion')) {
      stats.completed += 1;
      res.writeHead(204);
      res.end();
    } else if (req.url === '/stats') {
      const cpu = process.cpuUsage();
      const body = JSON.stringify({ ...stats, cpu: (cpu.user + cpu.system) / 1e6 });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    } else {
      res.writeHead(404, { 'content-length': 0 });
      res.end();
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => console.log('ready'));
setTimeout(() => process.exit(0), lifetime * 1000);

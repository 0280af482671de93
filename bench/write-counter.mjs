/**
 * A counting proxy in front of DynamoDB (dynalite) for bench/ingest and bench/evaluation, run in
 * a worker thread so that measuring costs the server's event loop nothing. It counts write
 * requests and the items they write, and asks DynamoDB for the write capacity each consumed (as
 * DynamoDB charges it: 1 WCU per KB written); it counts read requests and the bytes of their
 * responses. Messages: 'reset' and 'read' (answered with the counts).
 */
import { createServer, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);
const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan']);
const target = new URL(workerData.target);
const zero = { requests: 0, items: 0, capacity: 0, reads: 0, readBytes: 0 };
const counts = { ...zero };

const server = createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
  const write = WRITES.has(operation);
  const read = READS.has(operation);
  if (read) counts.reads++;
  let body = Buffer.concat(chunks).toString('utf8');
  if (write) {
    counts.requests++;
    counts.items += operation === 'BatchWriteItem' ? (body.match(/"(Put|Delete)Request"/g) ?? []).length : 1;
    body = body.replace(/^\{/, '{"ReturnConsumedCapacity":"TOTAL",');
  }
  const upstream = request(
    {
      hostname: target.hostname,
      port: target.port,
      path: req.url,
      method: req.method,
      headers: { ...req.headers, 'content-length': Buffer.byteLength(body) },
    },
    async (response) => {
      const parts = [];
      for await (const part of response) parts.push(part);
      const text = Buffer.concat(parts).toString('utf8');
      if (read) counts.readBytes += Buffer.byteLength(text);
      if (write) {
        for (const match of text.matchAll(/"CapacityUnits":([0-9.eE+-]+)/g))
          counts.capacity += Number(match[1]);
      }
      const headers = { ...response.headers, 'content-length': String(Buffer.byteLength(text)) };
      delete headers['x-amz-crc32'];
      res.writeHead(response.statusCode ?? 500, headers);
      res.end(text);
    },
  );
  upstream.on('error', (error) => {
    res.writeHead(502, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(
      JSON.stringify({
        __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
        message: error.message,
      }),
    );
  });
  upstream.end(body);
});

server.listen(0, '127.0.0.1', () => {
  parentPort?.postMessage({ endpoint: `http://127.0.0.1:${server.address().port}` });
});
parentPort?.on('message', (message) => {
  if (message === 'reset') Object.assign(counts, zero);
  parentPort?.postMessage({ counts: { ...counts } });
});

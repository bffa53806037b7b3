// s3_fault_proxy.mjs - an HTTP proxy in front of an S3 server (s3rver) for the tests: it
// logs every request and can be told to answer requests with faults before forwarding
// again, so that retries are exercised against a real S3 API. Used by s3_test.mjs (the
// client alone) and tests/serverless (whole serverless jobs).
//
//   const proxy = await startFaultProxy(s3Port);   // proxy.port: point AWS_ENDPOINT_URL here
//   proxy.faults = ['503', 'reset'];  // the next requests: 503 SlowDown, 500 InternalError
//                                     // ('500'), a reset, a hang, or 'pass'
//   proxy.firstAttempts = '503';      // every distinct request (method, URL, range) gets this
//                                     // fault the first time it is seen, then passes
//   proxy.log                         // [{method, url, headers, fault}]
//   await proxy.close();
import http from 'node:http';

export async function startFaultProxy(upstreamPort) {
  const proxy = { log: [], faults: [], hung: [], firstAttempts: null, seen: new Set(), port: 0 };
  const server = http.createServer((req, res) => {
    let fault = proxy.faults.shift();
    if (!fault && proxy.firstAttempts) {
      const id = `${req.method} ${req.url} ${req.headers.range ?? ''}`;
      if (!proxy.seen.has(id)) {
        proxy.seen.add(id);
        fault = proxy.firstAttempts;
      }
    }
    proxy.log.push({ method: req.method, url: req.url, headers: req.headers, fault });
    if (fault === 'reset') return req.socket.destroy();
    if (fault === 'hang') return proxy.hung.push(req.socket);
    if (fault === '503' || fault === '500') {
      const [code, msg] = fault === '503' ? ['SlowDown', 'Please reduce your request rate.']
        : ['InternalError', 'We encountered an internal error. Please try again.'];
      req.resume();
      res.writeHead(Number(fault), { 'content-type': 'application/xml' });
      return res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code>` +
        `<Message>${msg}</Message><RequestId>1</RequestId></Error>`);
    }
    const up = http.request({ host: '127.0.0.1', port: upstreamPort, method: req.method,
      path: req.url, headers: req.headers }, (ur) => {
      res.writeHead(ur.statusCode, ur.headers);
      ur.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  proxy.port = server.address().port;
  proxy.close = async () => {
    for (const s of proxy.hung) s.destroy();
    const closed = new Promise((r) => server.close(r));
    server.closeAllConnections?.();
    await closed;
  };
  return proxy;
}

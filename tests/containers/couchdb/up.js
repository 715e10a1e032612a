// Port 5984: GET /_up answered here (CouchDB's health endpoint), everything else passed to
// pouchdb-server on 127.0.0.1:5985 as it comes, long-polled _changes feeds included.
const http = require("http");

http.createServer((request, response) => {
    if (request.method === "GET" && request.url === "/_up") {
        const probe = http.get({host: "127.0.0.1", port: 5985, path: "/"}, (answer) => {
            answer.resume();
            response.writeHead(answer.statusCode === 200 ? 200 : 503,
                               {"Content-Type": "application/json"});
            response.end(answer.statusCode === 200 ? '{"status":"ok"}\n' : '{"status":"down"}\n');
        });
        probe.on("error", () => {
            response.writeHead(503, {"Content-Type": "application/json"});
            response.end('{"status":"down"}\n');
        });
        return;
    }
    const upstream = http.request({host: "127.0.0.1", port: 5985, path: request.url,
                                   method: request.method, headers: request.headers},
                                  (answer) => {
                                      response.writeHead(answer.statusCode, answer.headers);
                                      answer.pipe(response);
                                  });
    upstream.on("error", () => {
        response.writeHead(502);
        response.end();
    });
    request.pipe(upstream);
}).listen(5984, "0.0.0.0");

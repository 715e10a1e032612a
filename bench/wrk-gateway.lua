-- wrk script for crier-gateway: the JSON notification a service would POST (keep-alive).
request = function()
    return wrk.format("POST", "/v1/notifications", {["Content-Type"] = "application/json"},
                      '{"to": "#one", "body": "bench"}')
end

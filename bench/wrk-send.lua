-- wrk script for the Matrix sink's ceiling: the same PUT crier-sender-matrix makes, with a new
-- transaction id each time.
local counter = 0
request = function()
    counter = counter + 1
    local path = "/_matrix/client/v3/rooms/%21bench%3Abench/send/m.room.message/wrk" .. counter
    return wrk.format("PUT", path, {["Content-Type"] = "application/json",
                                    ["Authorization"] = "Bearer bench"},
                      '{"msgtype": "m.text", "body": "bench"}')
end

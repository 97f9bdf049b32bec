-- wrk script: POST the JSON file named by env BODY.
local f = assert(io.open(os.getenv("BODY"), "rb"), "cannot open body file")
local body = f:read("*a")
f:close()
wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"

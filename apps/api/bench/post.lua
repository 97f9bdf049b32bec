-- wrk script: POST the file named by env BODY; CTYPE sets Content-Type, HLEN the
-- Inference-Header-Content-Length of a binary tensor extension body, AUTH a bearer token.
local f = assert(io.open(os.getenv("BODY"), "rb"), "cannot open body file")
local body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = os.getenv("CTYPE") or "application/json"
local hlen = os.getenv("HLEN")
if hlen and hlen ~= "" then
  wrk.headers["Inference-Header-Content-Length"] = hlen
end
local auth = os.getenv("AUTH")
if auth and auth ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. auth
end

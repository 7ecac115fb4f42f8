-- wrk: PUT a 64-byte JSON string value to a unique key on GlobalZone (each connection its own key sequence).
local counter = 0
local created = 0
function setup(thread)
  created = created + 1
  thread:set("tag", tostring(created) .. "-" .. tostring(os.time()))
end
local value = '"' .. string.rep("v", 62) .. '"'
-- Headers given on wrk's command line (-H, e.g. a bearer token) are kept: wrk.format ignores them once a script
-- passes its own table.
local headers = nil
request = function()
  if headers == nil then
    headers = {}
    for name, v in pairs(wrk.headers) do headers[name] = v end
    headers["Content-Type"] = "application/json"
  end
  counter = counter + 1
  return wrk.format("PUT", "/v1/kv/wrk/" .. tag .. "/" .. counter, headers, value)
end

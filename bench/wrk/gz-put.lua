-- wrk: PUT a 64-byte JSON string value to a unique key on GlobalZone (each connection its own key sequence).
local counter = 0
local created = 0
function setup(thread)
  created = created + 1
  thread:set("tag", tostring(created) .. "-" .. tostring(os.time()))
end
local value = '"' .. string.rep("v", 62) .. '"'
request = function()
  counter = counter + 1
  return wrk.format("PUT", "/v1/kv/wrk/" .. tag .. "/" .. counter, { ["Content-Type"] = "application/json" }, value)
end

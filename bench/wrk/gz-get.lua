-- wrk: linearizable GET of one key on GlobalZone (the default consistency).
request = function()
  return wrk.format("GET", "/v1/kv/wrk/read-key")
end

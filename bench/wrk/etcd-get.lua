-- wrk: linearizable range read of one key through etcd's v3 JSON gateway ("d3JrL3JlYWQta2V5" = "wrk/read-key").
request = function()
  return wrk.format("POST", "/v3/kv/range", { ["Content-Type"] = "application/json" }, '{"key":"d3JrL3JlYWQta2V5"}')
end

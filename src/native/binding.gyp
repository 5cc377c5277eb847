{
  "targets": [
    {
      "target_name": "zeek_zmq_native",
      "sources": ["addon.cc", "plane.cc", "endpoint.cc", "endpoint-queue.cc", "path-table.cc", "reconfiguration.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O2", "-pthread", "-Wall", "-Wextra", "<!@(node -p \"process.env.ZZS_NATIVE_CFLAGS || ''\")"],
      "ldflags": ["-pthread", "<!@(node -p \"process.env.ZZS_NATIVE_LDFLAGS || ''\")"],
      "libraries": ["-lzmq"]
    }
  ]
}

{
  # The same addon for node-gyp users. All libtorch paths and flags come from
  # scripts/libtorch.js, the resolver the CMake build uses.
  "targets": [
    {
      "target_name": "flowmatch",
      "sources": ["<!@(node -p \"require('fs').readdirSync('native').filter(f => f.endsWith('.cpp')).map(f => 'native/' + f).join(' ')\")"],
      "include_dirs": [
        "<!@(node -p \"require('node-addon-api').include\")",
        "<!@(node scripts/libtorch.js --include)"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "<!@(node scripts/libtorch.js --defines)"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++1y", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-fvisibility=hidden", "-Wno-unused-parameter", "-ffp-contract=off"],
      "libraries": [
        "-L<!(node scripts/libtorch.js --lib)",
        "-Wl,--no-as-needed",
        "<!@(node scripts/libtorch.js --libs)",
        "-Wl,--as-needed",
        "-Wl,-rpath,<!(node scripts/libtorch.js --lib)"
      ]
    }
  ]
}

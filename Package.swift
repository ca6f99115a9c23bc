// swift-tools-version:6.0
import PackageDescription

// The default build passes no unsafe flags, so that an app can depend on CompactRec by version
// (SwiftPM refuses unsafe flags in such a dependency). The hot loops are C kernels that pick
// their AVX2 + FMA paths at run time, so they are fast either way. COMPACTREC_NATIVE=1 also
// compiles the Swift code for Haswell-level x86-64 (AVX2, FMA, BMI2, POPCNT), for a local build
// on such a machine.
var kernelFlags: [SwiftSetting] = []
#if arch(x86_64)
  if Context.environment["COMPACTREC_NATIVE"] != nil {
    kernelFlags.append(.unsafeFlags(["-target-cpu", "haswell"]))
  }
#endif

let package = Package(
  name: "CompactRec",
  platforms: [.macOS(.v13), .iOS(.v16)],
  products: [
    .library(name: "CompactRecKit", targets: ["CompactRecKit"]),
    .library(name: "CompactRecServer", targets: ["CompactRecServer"]),
    .executable(name: "compactrec", targets: ["compactrec"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
    .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
  ],
  targets: [
    .systemLibrary(
      name: "CBLAS",
      pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev"])]
    ),
    .target(name: "CKernels"),
    .target(
      name: "CompactRecKit",
      dependencies: [
        "CKernels", .target(name: "CBLAS", condition: .when(platforms: [.linux])),
      ],
      // Swift 6: complete concurrency checking, clean (no warnings).
      swiftSettings: kernelFlags + [.swiftLanguageMode(.v6)],
      linkerSettings: [.linkedFramework("Accelerate", .when(platforms: [.macOS, .iOS]))]
    ),
    // The HTTP server: the kit keeps no server dependency.
    .target(
      name: "CompactRecServer",
      dependencies: [
        "CompactRecKit",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Metrics", package: "swift-metrics"),
        .product(name: "Prometheus", package: "swift-prometheus"),
      ]
    ),
    .executableTarget(
      name: "compactrec",
      dependencies: [
        "CompactRecKit", "CompactRecServer",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: kernelFlags
    ),
    .testTarget(
      name: "CompactRecKitTests",
      dependencies: ["CompactRecKit"],
      swiftSettings: kernelFlags
    ),
    .testTarget(
      name: "CompactRecServerTests",
      dependencies: [
        "CompactRecServer",
        .product(name: "HummingbirdTesting", package: "hummingbird"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
  ],
  swiftLanguageModes: [.v5]
)

// COMPACTREC_FUZZ=1 adds the libFuzzer targets for the data parsers and the model-file reader
// (`CompactRecFuzz`, run by scripts/fuzz.sh). The kit is then built with coverage instrumentation
// and AddressSanitizer; build only `--product CompactRecFuzz` in this mode, in its own
// --scratch-path.
if Context.environment["COMPACTREC_FUZZ"] != nil {
  let sanitizers = ["-sanitize=fuzzer,address"]
  package.targets.first { $0.name == "CompactRecKit" }!.swiftSettings! += [.unsafeFlags(sanitizers)]
  package.targets.append(
    .executableTarget(
      name: "CompactRecFuzz",
      dependencies: ["CompactRecKit"],
      swiftSettings: kernelFlags + [.unsafeFlags(sanitizers + ["-parse-as-library"])],
      linkerSettings: [.unsafeFlags(sanitizers)]
    ))
}

// swift-tools-version:6.0
import PackageDescription

// Apps that embed CompactRec: they depend on the library product `CompactRecKit` alone (no
// server, no command-line parser). CI builds them, so the kit stays embeddable.
// - RecommendFromFile recommends from a model file.
// - TrainEveryModel trains every model kind with the library's defaults (the README's Swift
//   example).
// An app outside this repository names the package by URL and version:
//   .package(url: "https://github.com/OWNER/CompactRec", from: "VERSION")
let package = Package(
  name: "Examples",
  platforms: [.macOS(.v13), .iOS(.v16)],
  dependencies: [.package(name: "CompactRec", path: "..")],
  targets: [
    .executableTarget(
      name: "RecommendFromFile",
      dependencies: [.product(name: "CompactRecKit", package: "CompactRec")]
    ),
    .executableTarget(
      name: "TrainEveryModel",
      dependencies: [.product(name: "CompactRecKit", package: "CompactRec")]
    ),
  ]
)

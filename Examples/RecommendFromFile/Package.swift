// swift-tools-version:6.0
import PackageDescription

// An app that embeds CompactRec: it depends on the library product `CompactRecKit` alone (no
// server, no command-line parser) and recommends from a model file. CI builds it, so the kit
// stays embeddable. An app outside this repository names the package by URL and version:
//   .package(url: "https://github.com/OWNER/CompactRec", from: "VERSION")
let package = Package(
  name: "RecommendFromFile",
  platforms: [.macOS(.v13), .iOS(.v16)],
  dependencies: [.package(name: "CompactRec", path: "../..")],
  targets: [
    .executableTarget(
      name: "RecommendFromFile",
      dependencies: [.product(name: "CompactRecKit", package: "CompactRec")]
    )
  ]
)

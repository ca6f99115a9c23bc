import Foundation
import Testing

@testable import CompactRecKit

/// The public data sets in `../shared/data` (relative to the package root). Tests that need
/// one are skipped, with the reason printed, where it is absent.
enum RealData {
  /// `<package root>/../shared/data`, found from this file's path.
  static let root: String = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("../shared/data").standardized.path

  /// The path of data set `name`.
  static func path(_ name: String) -> String { root + "/" + name }

  /// Whether data set `name` is present; prints why a test is skipped when it is not.
  static func available(_ name: String) -> Bool {
    if FileManager.default.fileExists(atPath: path(name)) { return true }
    print("skipping: \(path(name)) not found (the real data sets live in ../shared/data)")
    return false
  }
}

@Suite struct RealDataTests {
  @Test(.enabled(if: RealData.available("gowalla"), "needs ../shared/data/gowalla"))
  func loadsGowallasGivenSplit() throws {
    let start = Date()
    let data = try DataLoader.load(path: RealData.path("gowalla"))
    print("gowalla loaded in \(Int(Date().timeIntervalSince(start) * 1000)) ms")
    #expect(data.userCount == 29_858)
    #expect(data.itemCount == 40_981)
    #expect(data.trainInteractionCount == 810_128)
    #expect(data.test.reduce(0) { $0 + $1.count } == 217_242)
    #expect(data.summary.duplicatesDropped == 0 && data.summary.skippedLines == 0)
  }

  @Test(.enabled(if: RealData.available("amazon-beauty"), "needs ../shared/data/amazon-beauty"))
  func loadsBeautySequencesLeavingOneOut() throws {
    let data = try DataLoader.load(
      path: RealData.path("amazon-beauty/sequences.txt"), options: LoadOptions(split: .leaveOneOut))
    #expect(data.userCount == 22_363)
    #expect(data.itemCount == 12_101)
    #expect(data.summary.interactions == 198_502)
    #expect(data.test.allSatisfy { $0.count == 1 } && data.validation.allSatisfy { $0.count == 1 })
  }

  @Test(.enabled(if: RealData.available("ml-100k"), "needs ../shared/data/ml-100k"))
  func loadsMovieLensInterFile() throws {
    let data = try DataLoader.load(
      path: RealData.path("ml-100k/ml-100k.inter"), options: LoadOptions(split: .leaveOneOut))
    #expect(data.userCount == 943)
    #expect(data.itemCount == 1_682)
    #expect(data.summary.interactions == 100_000)
    #expect(data.summary.headerDetected && data.summary.hasTimestamps)
  }

  @Test(.enabled(if: RealData.available("lastfm-seq"), "needs ../shared/data/lastfm-seq"))
  func readsLastFMNegatives() throws {
    let data = try DataLoader.load(
      path: RealData.path("lastfm-seq"), options: LoadOptions(split: .leaveOneOut))
    let negatives = try NegativeSamples.load(
      path: RealData.path("lastfm-seq/negatives-99.txt"), dataset: data)
    #expect(data.userCount == 1_090 && data.itemCount == 3_646)
    #expect(negatives.allSatisfy { $0.count == 99 })
  }

  @Test(.enabled(if: RealData.available("session5"), "needs ../shared/data/session5"))
  func loadsSessions() throws {
    let data = try DataLoader.load(
      path: RealData.path("session5"),
      options: LoadOptions(split: .bySequence(testFraction: 0.2, seed: 1)))
    #expect(data.userCount == 1_804 && data.itemCount == 2_794)
    #expect(data.heldOutUsers.filter { $0 }.count == 361)
  }
}

import Foundation
import Testing

@testable import CompactRecKit

@Suite("Sequential inference")
struct SequentialInferenceTests {
  /// Every architecture with full and block-wise layers and dropout on, so that inference must
  /// also switch dropout off by itself.
  static let variants = [
    "nextitnet", "nextitnet/both", "gru4rec", "gru4rec/both", "sasrec", "sasrec/both", "sasrec/input/cross-layer",
  ]

  static func model(_ variant: String) -> SequentialModel {
    let parts = variant.split(separator: "/").map(String.init)
    var c = SequentialConfiguration(architecture: SequentialArchitecture(rawValue: parts[0])!)
    (c.dim, c.maxLength, c.dilations, c.blocks, c.heads, c.dropout, c.blockFactor) = (8, 6, [1, 2], 2, 2, 0.5, 2)
    if parts.count > 1 { c.blockwise = BlockwiseLayers(rawValue: parts[1])! }
    if parts.count > 2 { c.sharing = LayerSharing(rawValue: parts[2])! }
    let blocks = FrequencyBlocks(order: (0..<40).reversed(), ends: [4, 15, 40])
    let model = c.makeModel(items: 40, blocks: c.blockwise == .none ? nil : blocks)
    var g = SeededGenerator(seed: 10)
    for p in model.parameters {
      p.value = Matrix(rows: p.value.rows, cols: p.value.cols, gaussianStd: 0.4, generator: &g)
    }
    return model
  }

  static func queries(_ count: Int) -> [ScoringQuery] {
    var g = SeededGenerator(seed: 11)
    return (0..<count).map { q in
      let history = (0..<(1 + q % 9)).map { _ in Int32(g.index(below: 40)) }
      return ScoringQuery(user: nil, history: history, exclude: history)
    }
  }

  @Test("inference equals the training forward with dropout off, and keeps no state", arguments: variants)
  func inferenceEqualsForward(variant: String) {
    let model = Self.model(variant)
    let queries = Self.queries(20)
    let batch = SequenceBatch(histories: queries.map(\.history), maxLength: model.maxLength, padding: model.padding)
    model.encoder.setTraining(false)
    let forward = model.hidden(batch)
    model.encoder.setTraining(true)  // inference must not depend on the training switch
    let inferred = model.encoder.infer(
      model.input.infer(batch.inputs), length: batch.length, valid: batch.valid)
    #expect(inferred == forward)
  }

  @Test("one model recommends from 8 threads at once with the single-threaded results", arguments: variants)
  func concurrentRecommendations(variant: String) {
    let model = Self.model(variant)
    let queries = Self.queries(60)
    let expected = model.recommend(queries, k: 5)
    let agree = Agreement()
    DispatchQueue.concurrentPerform(iterations: 8) { _ in
      for _ in 0..<3 { agree.check(model.recommend(queries, k: 5) == expected) }
    }
    #expect(agree.all)
  }
}

/// Whether every check agreed, under a lock.
private final class Agreement: @unchecked Sendable {
  private var allAgree = true
  private let lock = NSLock()

  func check(_ agreed: Bool) {
    lock.lock()
    allAgree = allAgree && agreed
    lock.unlock()
  }

  var all: Bool {
    lock.lock()
    defer { lock.unlock() }
    return allAgree
  }
}

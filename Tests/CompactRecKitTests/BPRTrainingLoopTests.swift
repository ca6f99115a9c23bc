import Testing

@testable import CompactRecKit

@Suite("BPRTrainingLoop")
struct BPRTrainingLoopTests {
  /// 6 users with 2 to 7 items each out of 20: 27 interactions, 7 batches of 4 per epoch.
  private let matrix: InteractionMatrix = {
    var rows: [[Int32]] = []
    for u in 0..<6 {
      rows.append(Array(Set((0..<(2 + u)).map { Int32((3 * u + 2 * $0) % 20) })).sorted())
    }
    return InteractionMatrix(rows: rows, columnCount: 20)
  }()

  /// The triples `step` is handed over two epochs when it calls `drawNext` as `call` says.
  private func batches(call: (Int) -> Bool) throws -> [[Int32]] {
    var seen: [[Int32]] = []
    let loop = BPRTrainingLoop(epochs: 2, batchSize: 4, evaluateEvery: 0, patience: 1, samplerSeed: 7)
    try loop.run(
      matrix: matrix, observer: nil,
      step: { users, positives, negatives, drawNext in
        seen.append(users + positives + negatives)
        if call(seen.count) {
          drawNext()
          drawNext()  // a second call draws nothing more
        }
        return 0
      }, validate: { 0 }, keepBest: {}, restoreBest: {}, parameters: { [] })
    return seen
  }

  @Test("the batches are the same whether or not, and whenever, the step has the next one drawn")
  func drawingTheNextBatch() throws {
    let sequential = try batches { _ in false }
    #expect(sequential.count == 14)
    let interactions = matrix.nonZeroCount
    #expect(sequential[0..<7].reduce(0) { $0 + $1.count } == 3 * interactions, "an epoch covers every interaction")
    #expect(sequential[0] != sequential[7], "each epoch draws anew")
    #expect(try batches { _ in true } == sequential)
    #expect(try batches { $0 % 3 == 0 } == sequential)
  }
}

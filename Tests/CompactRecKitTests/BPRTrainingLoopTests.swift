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
      step: { users, positives, negatives, _, drawNext in
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

  @Test("the loop hands step the scheduled rate: constant, or decaying from the base rate to 1% of it")
  func schedules() throws {
    func rates(_ schedule: LearningRateSchedule) throws -> [Float] {
      var seen: [Float] = []
      var loop = BPRTrainingLoop(epochs: 2, batchSize: 4, evaluateEvery: 0, patience: 1, samplerSeed: 7)
      loop.schedule = schedule
      loop.learningRate = 0.1
      try loop.run(
        matrix: matrix, observer: nil,
        step: { _, _, _, rate, _ in
          seen.append(rate)
          return 0
        }, validate: { 0 }, keepBest: {}, restoreBest: {}, parameters: { [] })
      return seen
    }
    #expect(try rates(.constant) == Array(repeating: 0.1, count: 14))
    for schedule in [LearningRateSchedule.cosine, .linear] {
      let r = try rates(schedule)
      #expect(r.count == 14 && r[0] == 0.1)
      #expect(zip(r, r.dropFirst()).allSatisfy { $0 > $1 }, "\(schedule) decreases at every step")
      #expect(abs(schedule.rate(0.1, progress: 1) - 0.001) < 1e-7)
    }
    // Halfway through, cosine is at the mean of the two ends, linear too.
    #expect(abs(LearningRateSchedule.cosine.rate(1, progress: 0.5) - 0.505) < 1e-6)
    #expect(abs(LearningRateSchedule.linear.rate(1, progress: 0.5) - 0.505) < 1e-6)
  }
}

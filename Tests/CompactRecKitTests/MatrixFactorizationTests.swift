import Foundation
import Testing

@testable import CompactRecKit

@Suite("MatrixFactorization")
struct MatrixFactorizationTests {
  private func model(seed: UInt64) -> MatrixFactorization {
    var g = SeededGenerator(seed: seed)
    return MatrixFactorization(
      userEmbedding: Matrix(rows: 3, cols: 5, gaussianStd: 0.5, generator: &g),
      itemEmbedding: Matrix(rows: 4, cols: 5, gaussianStd: 0.5, generator: &g))
  }

  @Test("BPR gradients match central finite differences")
  func gradients() {
    let m = model(seed: 3)
    let users: [Int32] = [0, 1, 2, 0]
    let pos: [Int32] = [1, 2, 3, 1]
    let neg: [Int32] = [0, 0, 1, 2]
    let l2: Float = 0.3
    _ = m.accumulateBPRGradients(users: users, positives: pos, negatives: neg, l2: l2)
    func loss() -> Double {
      let probe = MatrixFactorization(userEmbedding: m.userEmbedding.value, itemEmbedding: m.itemEmbedding.value)
      return probe.accumulateBPRGradients(users: users, positives: pos, negatives: neg, l2: l2).loss
    }
    for p in [m.userEmbedding, m.itemEmbedding] {
      for i in 0..<p.count {
        let original = p.value.storage[i]
        let h: Float = 1e-2
        p.value.storage[i] = original + h
        let up = loss()
        p.value.storage[i] = original - h
        let down = loss()
        p.value.storage[i] = original
        let numeric = (up - down) / Double(2 * h)
        #expect(abs(numeric - Double(p.grad.storage[i])) < 2e-4, "\(p.name)[\(i)]")
      }
    }
  }

  @Test("scores are dot products of user and item embeddings")
  func scores() {
    let m = model(seed: 4)
    var out = [Float](repeating: 0, count: 4)
    out.withUnsafeMutableBufferPointer { m.score([ScoringQuery(user: 2)][...], into: $0.baseAddress!) }
    for i in 0..<4 {
      var dot: Float = 0
      for c in 0..<5 { dot += m.userEmbedding.value[2, c] * m.itemEmbedding.value[i, c] }
      #expect(abs(out[i] - dot) < 1e-5)
    }
  }

  @Test("large batches use the search index, which follows changes to the item embeddings")
  func searchFollowsEmbeddings() {
    var g = SeededGenerator(seed: 8)
    let mf = MatrixFactorization(
      userEmbedding: Matrix(rows: 100, cols: 32, gaussianStd: 1, generator: &g),
      itemEmbedding: Matrix(rows: 300, cols: 32, gaussianStd: 1, generator: &g))
    let queries = (0..<100).map { ScoringQuery(user: Int32($0), exclude: [Int32($0)]) }
    let brute = { BruteForceSearch.search(mf, queries, k: 5).rankings.map(\.items) }
    #expect(mf.recommend(queries, k: 5).map(\.items) == brute())
    mf.itemEmbedding.value = Matrix(rows: 300, cols: 32, gaussianStd: 1, generator: &g)
    #expect(mf.recommend(queries, k: 5).map(\.items) == brute())
  }

  @Test("a history without a user is folded in as the mean of its item embeddings")
  func foldIn() {
    let m = model(seed: 5)
    var out = [Float](repeating: 0, count: 4)
    out.withUnsafeMutableBufferPointer {
      m.score([ScoringQuery(user: nil, history: [1, 3])][...], into: $0.baseAddress!)
    }
    for i in 0..<4 {
      var dot: Float = 0
      for c in 0..<5 {
        dot += 0.5 * (m.itemEmbedding.value[1, c] + m.itemEmbedding.value[3, c]) * m.itemEmbedding.value[i, c]
      }
      #expect(abs(out[i] - dot) < 1e-5)
    }
  }

  @Test("training on the demo data beats MostPop clearly")
  func learns() throws {
    var generator = SyntheticData()
    generator.users = 600
    generator.items = 300
    let data = generator.generate()
    var c = MatrixFactorization.Configuration()
    c.epochs = 15
    c.batchSize = 512
    let mf = try MatrixFactorization.train(on: data, configuration: c)
    let evaluator = FullRankingEvaluator(cutoffs: [10])
    let mfHR = evaluator.evaluate(mf, on: data).metrics["hr@10"]!
    let popHR = evaluator.evaluate(MostPop(dataset: data), on: data).metrics["hr@10"]!
    #expect(mfHR > popHR * 1.5, "mf \(mfHR) vs mostpop \(popHR)")
  }
}

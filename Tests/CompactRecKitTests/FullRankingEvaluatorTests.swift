import Testing

@testable import CompactRecKit

/// A model with fixed per-user scores, for evaluations whose answer is known by hand.
final class FixedScores: Recommender {
  let rows: [[Float]]
  init(_ rows: [[Float]]) { self.rows = rows }
  var itemCount: Int { rows[0].count }
  func score(_ queries: ArraySlice<ScoringQuery>, into scores: UnsafeMutablePointer<Float>) {
    for (r, q) in queries.enumerated() {
      for i in 0..<itemCount { scores[r * itemCount + i] = rows[Int(q.user!)][i] }
    }
  }
}

@Suite("FullRankingEvaluator")
struct FullRankingEvaluatorTests {
  private func dataset(train: [[Int32]], validation: [[Int32]]? = nil, test: [[Int32]], items: Int) -> Dataset {
    Dataset(
      name: "t", users: IDMap(ids: train.indices.map { "u\($0)" }), items: IDMap(ids: (0..<items).map { "i\($0)" }),
      train: train, validation: validation, test: test)
  }

  @Test("excludes seen items before ranking, skips users without test items")
  func excludesSeen() {
    // User 0 scores item 0 highest, but it is a training item: the ranking starts at item 1.
    let data = dataset(train: [[0], [1], [2]], test: [[1], [3], []], items: 4)
    let model = FixedScores([[4, 3, 2, 1], [1, 4, 3, 2], [0, 0, 0, 0]])
    let report = FullRankingEvaluator(cutoffs: [1]).evaluate(model, on: data)
    #expect(report.evaluatedUsers == 2)
    #expect(report.skippedUsers == 1)
    // User 0: item 1 first -> hit. User 1: item 1 excluded, item 2 first -> miss.
    #expect(report.metrics["hr@1"] == 0.5)
    let kept = FullRankingEvaluator(cutoffs: [1], excludeSeen: false).evaluate(model, on: data)
    #expect(kept.metrics["hr@1"] == 0)
  }

  @Test("validation target uses train as history; test target adds validation items")
  func targets() {
    let data = dataset(train: [[0]], validation: [[1]], test: [[2]], items: 4)
    let model = FixedScores([[9, 8, 7, 6]])
    let onValidation = FullRankingEvaluator(cutoffs: [1]).evaluate(model, on: data, target: .validation)
    #expect(onValidation.metrics["hr@1"] == 1)
    let onTest = FullRankingEvaluator(cutoffs: [1]).evaluate(model, on: data, target: .test)
    #expect(onTest.metrics["hr@1"] == 1)
  }

  @Test("--exclude train leaves validation items in a test ranking; history removes them")
  func exclusion() {
    // Validation item 1 outscores test item 2: it takes the first place unless excluded.
    let data = dataset(train: [[0]], validation: [[1]], test: [[2]], items: 4)
    let model = FixedScores([[9, 8, 7, 6]])
    #expect(FullRankingEvaluator(cutoffs: [1]).evaluate(model, on: data).metrics["hr@1"] == 1)
    var trainOnly = FullRankingEvaluator(cutoffs: [1, 2])
    trainOnly.exclusion = .train
    let report = trainOnly.evaluate(model, on: data)
    #expect(report.metrics["hr@1"] == 0)
    #expect(report.metrics["hr@2"] == 1)
    // On validation targets the history is the training items either way.
    #expect(trainOnly.evaluate(model, on: data, target: .validation).metrics["hr@1"] == 1)
  }

  @Test("sampled: ties with a negative count against the target")
  func sampledTies() {
    let data = dataset(train: [[0], [0]], test: [[1], [2]], items: 4)
    let model = FixedScores([[0, 5, 5, 1], [0, 1, 2, 3]])
    let report = SampledEvaluator(cutoffs: [1, 2], negatives: [[2, 3], [1, 3]]).evaluate(model, on: data)
    // User 0: target 1 ties negative 2 -> rank 2. User 1: target 2 below negative 3 -> rank 2.
    #expect(report.metrics["hr@1"] == 0)
    #expect(report.metrics["hr@2"] == 1)
    #expect(report.protocolName == "sampled-2")
  }

  @Test("as histories: the user is ranked from the history alone, folded in by the model")
  func asHistories() {
    // User 0's trained vector points at item 1; the history (item 0) folds into item 0's vector,
    // which ranks item 2 first once the seen item 0 is left out.
    let items = Matrix(rows: 3, cols: 2, storage: [1, 0, 0, 1, 0.9, 0.1])
    let model = MatrixFactorization(userEmbedding: Matrix(rows: 1, cols: 2, storage: [0, 1]), itemEmbedding: items)
    let data = dataset(train: [[0]], test: [[2]], items: 3)
    let known = FullRankingEvaluator(cutoffs: [1]).evaluate(model, on: data)
    #expect(known.metrics["hr@1"] == 0)  // the trained vector ranks item 1 first
    var anonymous = FullRankingEvaluator(cutoffs: [1])
    anonymous.asHistories = true
    #expect(anonymous.evaluate(model, on: data).metrics["hr@1"] == 1)  // the history's mean ranks item 2 first
  }
}

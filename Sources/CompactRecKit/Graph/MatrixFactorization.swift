import Foundation

/// Matrix factorization trained with the BPR pairwise loss (Rendle et al., 2009): score(u, i) =
/// <p_u, q_i>, loss = -log sigma(s(u,i) - s(u,j)) for a positive i and a uniform negative j,
/// plus L2 on the batch's embeddings, optimized with (lazy) Adam. The first trainable model
/// and the reference point for the graph models.
public final class MatrixFactorization: Recommender {
  /// Training recipe. Defaults follow the LightGCN paper's MF baseline (d = 64, batch 2048,
  /// Gaussian init 0.1) with two changes that converge faster and generalize better: learning
  /// rate 5e-3 and L2 1e-2, chosen on a validation split carved from Gowalla's training data
  /// (L2 in {1e-4, 1e-3, 1e-2, 3e-2}; see RESULTS.md). `Codable`, so checkpoints and model
  /// files record it whole.
  public struct Configuration: Sendable, Codable {
    public var dim = 64
    public var epochs = 400
    public var batchSize = 2048
    public var learningRate: Float = 5e-3
    /// L2 coefficient on the batch's embeddings (divided by the batch size, as LightGCN does).
    public var l2: Float = 1e-2
    /// Standard deviation of the Gaussian initialization.
    public var initStd: Float = 0.1
    public var seed: UInt64 = 2020
    /// Evaluate on the validation split every this many epochs (0: never). Validation needs
    /// the data's validation items (see `ModelRecipe`).
    public var evaluateEvery = 5
    /// Validation runs without improvement before stopping.
    public var patience = 5
    /// How each epoch draws its (user, positive) pairs.
    public var sampling = PositiveSampling.interactions
    /// The learning rate's course over `epochs`.
    public var schedule = LearningRateSchedule.constant
    /// Stop after this many of the `epochs` epochs; nil runs them all.
    public var stopAfter: Int? = nil
    public init() {}
  }

  /// User embeddings (users x dim).
  public let userEmbedding: Parameter
  /// Item embeddings (items x dim).
  public let itemEmbedding: Parameter

  /// A model with the given embeddings. Precondition: equal widths.
  public init(userEmbedding: Matrix, itemEmbedding: Matrix) {
    precondition(userEmbedding.cols == itemEmbedding.cols, "embedding widths differ")
    self.userEmbedding = Parameter(name: "user_embedding", value: userEmbedding)
    self.itemEmbedding = Parameter(name: "item_embedding", value: itemEmbedding)
  }

  public var itemCount: Int { itemEmbedding.value.rows }
  /// Embedding width.
  public var dim: Int { itemEmbedding.value.cols }

  /// The one of `candidates` (item indices) that `user` scores highest; the first on a tie.
  /// Precondition: at least one candidate.
  public func highestScoring(_ candidates: UnsafeBufferPointer<Int32>, for user: Int32) -> Int32 {
    let d = dim
    return userEmbedding.value.storage.withUnsafeBufferPointer { users in
      itemEmbedding.value.storage.withUnsafeBufferPointer { items in
        let u = users.baseAddress! + Int(user) * d
        var best = candidates[0]
        var bestScore = -Float.infinity
        for c in candidates {
          let v = items.baseAddress! + Int(c) * d
          var score: Float = 0
          for k in 0..<d { score += u[k] * v[k] }
          if score > bestScore {
            bestScore = score
            best = c
          }
        }
        return best
      }
    }
  }

  /// What `train` did: epochs run, best validation epoch and figure (nil for a model not
  /// trained by `train`).
  public internal(set) var summary: TrainingSummary?

  /// The exact pruned search over the item table, built when first needed and rebuilt whenever
  /// the item embeddings are no longer the ones it was built from (training, restoring);
  /// guarded by `indexLock`, so concurrent searches share one build.
  private var searchIndex: FloatSearchIndex?
  private let indexLock = NSLock()

  /// The search index over the current item embeddings, built now if it is missing or stale.
  /// A loaded model's embeddings never change, so a server or a benchmark calls this once
  /// before serving or timing.
  @discardableResult
  public func prepareSearch() -> FloatSearchIndex {
    indexLock.lock()
    defer { indexLock.unlock() }
    if let searchIndex, searchIndex.isBuilt(from: itemEmbedding.value) { return searchIndex }
    let index = FloatSearchIndex(items: itemEmbedding.value)
    searchIndex = index
    return index
  }

  /// Top-K under each query's filter. Batches of known users go through `FloatSearchIndex`
  /// (exact, prunes most of the work); a few queries are scored directly.
  public func search(_ queries: [ScoringQuery], k: Int) -> SearchResult {
    guard queries.count >= 64, queries.allSatisfy({ $0.user != nil }) else {
      return BruteForceSearch.search(self, queries, k: k)
    }
    let index = prepareSearch()
    var users = Matrix(rows: queries.count, cols: dim)
    userEmbedding.value.withUnsafePointer { u in
      users.withUnsafeMutablePointer { out in
        for (r, q) in queries.enumerated() { (out + r * dim).update(from: u + Int(q.user!) * dim, count: dim) }
      }
    }
    return index.search(users, k: k, filters: queries.map(\.filter))
  }

  /// Scores by dot product: the batch's user rows gathered, then one sgemm against all items.
  /// A query without a known user is folded in: its vector is the mean of its history's item
  /// embeddings (all scores 0 when the history is empty too).
  public func score(_ queries: ArraySlice<ScoringQuery>, into scores: UnsafeMutablePointer<Float>) {
    let d = dim
    var gathered = [Float](repeating: 0, count: queries.count * d)
    userEmbedding.value.withUnsafePointer { u in
      itemEmbedding.value.withUnsafePointer { items in
        for (r, q) in queries.enumerated() {
          if let user = q.user {
            for c in 0..<d { gathered[r * d + c] = u[Int(user) * d + c] }
          } else if !q.history.isEmpty {
            let w = 1 / Float(q.history.count)
            for i in q.history { for c in 0..<d { gathered[r * d + c] += w * items[Int(i) * d + c] } }
          }
        }
      }
    }
    gathered.withUnsafeBufferPointer { g in
      itemEmbedding.value.withUnsafePointer { items in
        BLAS.gemm(
          transposeB: true, m: queries.count, n: itemCount, k: d, a: g.baseAddress!, lda: d, b: items,
          ldb: d, c: scores, ldc: itemCount)
      }
    }
  }

  /// Trains a model on `dataset.train` (held-out users are not fitted). With `evaluateEvery`
  /// set, evaluates recall@20 on the validation split and returns the best epoch's embeddings
  /// (throws `RecipeError.noValidation` when the data has no validation items; `ModelRecipe`
  /// carves them). With `checkpoint`, saves the run after every epoch and, when asked,
  /// resumes it.
  public static func train(
    on dataset: Dataset, configuration c: Configuration, checkpoint: CheckpointOptions? = nil,
    observer: TrainingObserver? = nil
  ) throws -> MatrixFactorization {
    guard c.evaluateEvery == 0 || dataset.hasValidationItems else { throw RecipeError.noValidation }
    var generator = SeededGenerator(seed: c.seed)
    let model = MatrixFactorization(
      userEmbedding: Matrix(rows: dataset.userCount, cols: c.dim, gaussianStd: c.initStd, generator: &generator),
      itemEmbedding: Matrix(rows: dataset.itemCount, cols: c.dim, gaussianStd: c.initStd, generator: &generator))
    let adam = Adam(learningRate: c.learningRate)
    var best: (Matrix, Matrix)?
    let loop = BPRTrainingLoop(
      epochs: c.epochs, batchSize: c.batchSize, evaluateEvery: c.evaluateEvery, patience: c.patience,
      samplerSeed: generator.next(), sampling: c.sampling, schedule: c.schedule, learningRate: c.learningRate,
      stopAfter: c.stopAfter, checkpoint: checkpoint,
      settings: try c.checkpointSettings(model: "mf-bpr"),
      dataFingerprint: dataset.fingerprint())
    model.summary = try loop.run(
      matrix: dataset.trainMatrix(), observer: observer,
      step: { users, positives, negatives, rate, _ in
        adam.learningRate = rate
        return model.bprStep(users: users, positives: positives, negatives: negatives, l2: c.l2, adam: adam)
      },
      validate: {
        FullRankingEvaluator(cutoffs: [20]).evaluate(model, on: dataset, target: .validation).metrics["recall@20"] ?? 0
      },
      keepBest: { best = (model.userEmbedding.value, model.itemEmbedding.value) },
      restoreBest: {
        model.userEmbedding.value = best!.0
        model.itemEmbedding.value = best!.1
      },
      saveState: {
        var tensors =
          model.userEmbedding.checkpointTensors(adam: adam, prefix: "user_embedding")
          + model.itemEmbedding.checkpointTensors(adam: adam, prefix: "item_embedding")
        if let best {
          tensors.append(Tensor(name: "best/user_embedding", matrix: best.0))
          tensors.append(Tensor(name: "best/item_embedding", matrix: best.1))
        }
        return tensors
      },
      restoreState: { file in
        try model.userEmbedding.restoreCheckpoint(from: file, adam: adam, prefix: "user_embedding")
        try model.itemEmbedding.restoreCheckpoint(from: file, adam: adam, prefix: "item_embedding")
        if file.tensors.contains(where: { $0.name == "best/user_embedding" }) {
          let u = model.userEmbedding.value
          let i = model.itemEmbedding.value
          best = (
            try file.matrix("best/user_embedding", rows: u.rows, cols: u.cols),
            try file.matrix("best/item_embedding", rows: i.rows, cols: i.cols)
          )
        }
      },
      parameters: { [model.userEmbedding.value, model.itemEmbedding.value] })
    return model
  }

  /// One BPR step on a batch of triples: gradients, then a lazy Adam update of the touched
  /// rows. Returns the batch's mean loss.
  func bprStep(users: [Int32], positives: [Int32], negatives: [Int32], l2: Float, adam: Adam) -> Double {
    let (loss, touchedUsers, touchedItems) = accumulateBPRGradients(
      users: users, positives: positives, negatives: negatives, l2: l2)
    adam.beginStep()
    adam.update(userEmbedding, rows: touchedUsers)
    adam.update(itemEmbedding, rows: touchedItems)
    clearRows(userEmbedding, touchedUsers)
    clearRows(itemEmbedding, touchedItems)
    return loss
  }

  /// Adds the gradient of the batch's mean loss to `userEmbedding.grad` and
  /// `itemEmbedding.grad`; returns the mean loss and the rows touched.
  ///
  /// forward: x = <p_u, q_i - q_j>, loss = softplus(-x) + l2/2 (|p_u|^2 + |q_i|^2 + |q_j|^2),
  /// averaged over the B triples.
  /// backward: dx = -sigma(-x) / B, so dp_u = dx (q_i - q_j) + l2 p_u / B,
  /// dq_i = dx p_u + l2 q_i / B, dq_j = -dx p_u + l2 q_j / B.
  func accumulateBPRGradients(users: [Int32], positives: [Int32], negatives: [Int32], l2: Float)
    -> (loss: Double, users: [Int32], items: [Int32])
  {
    let n = users.count
    let d = dim
    let scale = 1 / Float(n)
    var gradU = [Float](repeating: 0, count: n * d)
    var gradI = [Float](repeating: 0, count: n * d)
    var gradJ = [Float](repeating: 0, count: n * d)
    var losses = [Double](repeating: 0, count: Parallel.workers)
    userEmbedding.value.withUnsafePointer { U in
      itemEmbedding.value.withUnsafePointer { I in
        gradU.withUnsafeMutableBufferPointer { gu in
          gradI.withUnsafeMutableBufferPointer { gi in
            gradJ.withUnsafeMutableBufferPointer { gj in
              losses.withUnsafeMutableBufferPointer { lossOut in
                Parallel.forEachChunk(of: n) { chunk, range in
                  var loss = 0.0
                  for t in range {
                    let pu = U + Int(users[t]) * d
                    let qi = I + Int(positives[t]) * d
                    let qj = I + Int(negatives[t]) * d
                    var x: Float = 0
                    var reg: Float = 0
                    for c in 0..<d {
                      x += pu[c] * (qi[c] - qj[c])
                      reg += pu[c] * pu[c] + qi[c] * qi[c] + qj[c] * qj[c]
                    }
                    loss += Double(softplus(-x) + 0.5 * l2 * reg)
                    let dx = -sigmoid(-x) * scale
                    let r = l2 * scale
                    for c in 0..<d {
                      gu[t * d + c] = dx * (qi[c] - qj[c]) + r * pu[c]
                      gi[t * d + c] = dx * pu[c] + r * qi[c]
                      gj[t * d + c] = -dx * pu[c] + r * qj[c]
                    }
                  }
                  lossOut[chunk] = loss
                }
              }
            }
          }
        }
      }
    }
    let touchedUsers = scatterAdd(gradU, rows: users, into: userEmbedding)
    let touchedItems = scatterAdd(gradI, rows: positives, into: itemEmbedding, alsoAdding: gradJ, rows: negatives)
    return (losses.reduce(0, +) / Double(n), touchedUsers, touchedItems)
  }
}

/// Adds per-triple gradient rows into a parameter's gradient; returns the distinct rows touched.
private func scatterAdd(
  _ grads: [Float], rows: [Int32], into p: Parameter, alsoAdding extra: [Float] = [], rows extraRows: [Int32] = []
) -> [Int32] {
  let d = p.value.cols
  var touched: [Int32] = []
  var seen = Set<Int32>()
  p.grad.withUnsafeMutablePointer { g in
    func add(_ source: [Float], _ list: [Int32]) {
      source.withUnsafeBufferPointer { s in
        for (t, r) in list.enumerated() {
          if seen.insert(r).inserted { touched.append(r) }
          let dst = g + Int(r) * d
          for c in 0..<d { dst[c] += s[t * d + c] }
        }
      }
    }
    add(grads, rows)
    add(extra, extraRows)
  }
  return touched
}

/// Zeroes the given gradient rows (cheaper than clearing a whole table after a sparse step).
private func clearRows(_ p: Parameter, _ rows: [Int32]) {
  let d = p.value.cols
  p.grad.withUnsafeMutablePointer { g in
    for r in rows { (g + Int(r) * d).update(repeating: 0, count: d) }
  }
}

@inline(__always) func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }
@inline(__always) func softplus(_ x: Float) -> Float { x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)) }

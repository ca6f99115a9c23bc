import Foundation

/// LightGCN (He et al., SIGIR 2020): user and item embeddings E0 propagated over the normalized
/// user-item graph, E(k+1) = A E(k), final embedding = sum_k w_k E(k) (w_k = 1/(L+1) by
/// default), scored by dot product and trained with BPR, L2 on the batch's layer-0 rows, Adam.
///
/// The backward pass is written out by hand: final = sum_k w_k A^k E0 and A is symmetric, so
/// dL/dE0 = sum_k w_k A^k G for the gradient G at the final embeddings, evaluated from the
/// deepest layer up as H = w_L G; H = A H + w_k G (L sparse products, like the forward pass).
/// A training step needs the final embeddings only at the batch's nodes, so the last forward
/// layer is computed for those rows alone, and the first backward product, whose input is
/// non-zero only there, scatters from them: two of the 2L products cost a few percent each.
public final class LightGCN: Recommender {
  /// Training recipe; defaults are the paper's Gowalla setting.
  public struct Configuration: Sendable {
    public var dim = 64
    public var layers = 3
    /// Per-layer weights w_0...w_L; nil means 1/(L+1) each.
    public var layerWeights: [Float]? = nil
    public var epochs = 1000
    public var batchSize = 2048
    public var learningRate: Float = 1e-3
    /// L2 coefficient on the batch's layer-0 embeddings (divided by the batch size).
    public var l2: Float = 1e-4
    public var initStd: Float = 0.1
    public var seed: UInt64 = 2020
    /// Evaluate on the validation split every this many epochs (0: never).
    public var evaluateEvery = 0
    /// Validation runs without improvement before stopping.
    public var patience = 5
    public init() {}

    /// The weights actually used.
    public var weights: [Float] { layerWeights ?? Array(repeating: 1 / Float(layers + 1), count: layers + 1) }
  }

  /// Layer-0 embeddings: users then items ((users + items) x dim).
  public let embedding: Parameter
  /// The propagation graph.
  public let graph: NormalizedAdjacency
  /// Layer weights w_0...w_L.
  public let weights: [Float]
  /// Final (propagated) embeddings, refreshed by `propagate()`; what scoring reads.
  public private(set) var output: MatrixFactorization

  private var layerOutputs: [Matrix]
  private var final: Matrix
  private var gradient: Matrix
  private var h: Matrix
  private var scratch: Matrix

  /// A model over the graph of `matrix` with Gaussian-initialized layer-0 embeddings.
  public init(matrix: InteractionMatrix, dim: Int, weights: [Float], initStd: Float, seed: UInt64) {
    precondition(weights.count >= 1, "at least layer 0")
    graph = NormalizedAdjacency(matrix)
    self.weights = weights
    var g = SeededGenerator(seed: seed)
    let n = graph.nodeCount
    embedding = Parameter(name: "embedding", value: Matrix(rows: n, cols: dim, gaussianStd: initStd, generator: &g))
    layerOutputs = (1..<weights.count).map { _ in Matrix(rows: n, cols: dim) }
    final = Matrix(rows: n, cols: dim)
    gradient = Matrix(rows: n, cols: dim)
    h = Matrix(rows: n, cols: dim)
    scratch = Matrix(rows: n, cols: dim)
    output = MatrixFactorization(
      userEmbedding: Matrix(rows: graph.users, cols: dim), itemEmbedding: Matrix(rows: graph.items, cols: dim))
    propagate()
  }

  public var itemCount: Int { graph.items }
  /// Embedding width.
  public var dim: Int { embedding.value.cols }
  /// Number of propagation layers L.
  public var layers: Int { weights.count - 1 }

  public func score(_ queries: ArraySlice<ScoringQuery>, into scores: UnsafeMutablePointer<Float>) {
    output.score(queries, into: scores)
  }

  public func recommend(_ queries: [ScoringQuery], k: Int) -> [Ranking] { output.recommend(queries, k: k) }

  /// Runs the forward propagation and refreshes the final embeddings used for scoring.
  public func propagate() {
    forward()
    let d = dim
    let u = graph.users
    output = MatrixFactorization(
      userEmbedding: Matrix(rows: u, cols: d, storage: Array(final.storage[0..<(u * d)])),
      itemEmbedding: Matrix(rows: graph.items, cols: d, storage: Array(final.storage[(u * d)...])))
  }

  /// E(k) for k = 1...L into `layerOutputs`, and final = sum_k w_k E(k).
  private func forward() {
    var previous = embedding.value
    for k in 0..<layers {
      graph.multiply(previous, into: &layerOutputs[k])
      previous = layerOutputs[k]
    }
    let count = final.storage.count
    final.withUnsafeMutablePointer { f in
      embedding.value.withUnsafePointer { e0 in
        for i in 0..<count { f[i] = weights[0] * e0[i] }
      }
      for k in 0..<layers {
        let w = weights[k + 1]
        layerOutputs[k].withUnsafePointer { e in for i in 0..<count { f[i] += w * e[i] } }
      }
    }
  }

  /// Trains on `dataset.train`; with `evaluateEvery` set, keeps the best validation epoch.
  /// With `checkpoint`, saves the run after every epoch and, when asked, resumes it.
  public static func train(
    on dataset: Dataset, configuration c: Configuration, checkpoint: CheckpointOptions? = nil,
    observer: TrainingObserver? = nil
  ) throws -> LightGCN {
    let matrix = dataset.trainMatrix()
    let model = LightGCN(matrix: matrix, dim: c.dim, weights: c.weights, initStd: c.initStd, seed: c.seed)
    let adam = Adam(learningRate: c.learningRate)
    var best: Matrix?
    let loop = BPRTrainingLoop(
      epochs: c.epochs, batchSize: c.batchSize, evaluateEvery: c.evaluateEvery, patience: c.patience,
      samplerSeed: c.seed &+ 1, checkpoint: checkpoint,
      settings: [
        "model": "lightgcn", "dim": .number(Double(c.dim)), "weights": .array(c.weights.map { .number(Double($0)) }),
        "batch_size": .number(Double(c.batchSize)), "lr": .number(Double(c.learningRate)),
        "l2": .number(Double(c.l2)), "seed": .number(Double(c.seed)), "init_std": .number(Double(c.initStd)),
        "evaluate_every": .number(Double(c.evaluateEvery)), "patience": .number(Double(c.patience)),
      ],
      dataFingerprint: dataset.fingerprint())
    try loop.run(
      matrix: matrix, observer: observer,
      step: { model.step(users: $0, positives: $1, negatives: $2, l2: c.l2, adam: adam) },
      validate: {
        model.propagate()
        return FullRankingEvaluator(cutoffs: [20]).evaluate(model, on: dataset, target: .validation)
          .metrics["recall@20"] ?? 0
      },
      keepBest: { best = model.embedding.value },
      restoreBest: { model.embedding.value = best! },
      saveState: {
        var tensors = model.embedding.checkpointTensors(adam: adam, prefix: "embedding")
        if let best {
          tensors.append(Tensor(name: "best/embedding", matrix: best))
        }
        return tensors
      },
      restoreState: { file in
        try model.embedding.restoreCheckpoint(from: file, adam: adam, prefix: "embedding")
        let e = model.embedding.value
        if file.tensors.contains(where: { $0.name == "best/embedding" }) {
          best = try file.matrix("best/embedding", rows: e.rows, cols: e.cols)
        }
      })
    model.propagate()
    return model
  }

  /// One optimizer step on a batch of (user, positive, negative) triples; returns the mean loss.
  func step(users: [Int32], positives: [Int32], negatives: [Int32], l2: Float, adam: Adam) -> Double {
    let loss = accumulateGradients(users: users, positives: positives, negatives: negatives, l2: l2)
    adam.step([embedding])
    return loss
  }

  /// Forward pass, BPR loss on the final embeddings plus L2 on the batch's layer-0 rows, and
  /// the gradient with respect to the layer-0 embeddings written to `embedding.grad`.
  ///
  /// forward: final = sum_k w_k E(k); x = <f_u, f_i - f_j>; loss = mean softplus(-x) +
  /// l2/2 (|e_u|^2 + |e_i|^2 + |e_j|^2) / B.
  /// backward: G[u] += dx (f_i - f_j), G[i] += dx f_u, G[j] -= dx f_u with dx = -sigma(-x)/B;
  /// dE0 = sum_k w_k A^k G (Horner from layer L), plus l2 e / B on the batch rows.
  func accumulateGradients(users: [Int32], positives: [Int32], negatives: [Int32], l2: Float) -> Double {
    let d = dim
    let n = users.count
    let offset = graph.users
    let rows = batchRows(users: users, positives: positives, negatives: negatives)
    forwardForBatch(rows: rows)
    let scale = 1 / Float(n)
    var loss = 0.0
    // G (non-zero only on `rows`; kept zero elsewhere between steps).
    gradient.withUnsafeMutablePointer { g in
      final.withUnsafePointer { f in
        embedding.value.withUnsafePointer { e in
          for t in 0..<n {
            let ru = Int(users[t])
            let ri = offset + Int(positives[t])
            let rj = offset + Int(negatives[t])
            let fu = f + ru * d
            let fi = f + ri * d
            let fj = f + rj * d
            var x: Float = 0
            var reg: Float = 0
            for c in 0..<d {
              x += fu[c] * (fi[c] - fj[c])
              reg += e[ru * d + c] * e[ru * d + c] + e[ri * d + c] * e[ri * d + c] + e[rj * d + c] * e[rj * d + c]
            }
            loss += Double(softplus(-x) + 0.5 * l2 * reg)
            let dx = -sigmoid(-x) * scale
            for c in 0..<d {
              g[ru * d + c] += dx * (fi[c] - fj[c])
              g[ri * d + c] += dx * fu[c]
              g[rj * d + c] -= dx * fu[c]
            }
          }
        }
      }
    }
    // Horner from the deepest layer: h = w_L G, then h = A h + w_k G for k = L-1...0. The
    // first product reads h only on `rows`, so it scatters from them.
    let count = gradient.storage.count
    if layers == 0 {
      h.withUnsafeMutablePointer { $0.update(repeating: 0, count: count) }
      scaleRows(rows, of: gradient, times: weights[0], into: &h, accumulate: true)
    } else {
      scaleRows(rows, of: gradient, times: weights[layers], into: &h, accumulate: false)
      scratch.withUnsafeMutablePointer { $0.update(repeating: 0, count: count) }
      graph.accumulateProduct(ofRows: rows, of: h, into: &scratch)
      scaleRows(rows, of: gradient, times: weights[layers - 1], into: &scratch, accumulate: true)
      swap(&h, &scratch)
      for k in stride(from: layers - 2, through: 0, by: -1) {
        graph.multiply(h, into: &scratch)
        scaleRows(rows, of: gradient, times: weights[k], into: &scratch, accumulate: true)
        swap(&h, &scratch)
      }
    }
    embedding.grad.withUnsafeMutablePointer { out in
      h.withUnsafePointer { hp in out.update(from: hp, count: count) }
      embedding.value.withUnsafePointer { e in
        let r = l2 * scale
        for t in 0..<n {
          for row in [Int(users[t]), offset + Int(positives[t]), offset + Int(negatives[t])] {
            for c in 0..<d { out[row * d + c] += r * e[row * d + c] }
          }
        }
      }
    }
    gradient.withUnsafeMutablePointer { g in for r in rows { (g + Int(r) * d).update(repeating: 0, count: d) } }
    return loss / Double(n)
  }

  /// The distinct graph nodes of a batch (users, positive and negative items), ascending.
  private func batchRows(users: [Int32], positives: [Int32], negatives: [Int32]) -> [Int32] {
    var mark = [Bool](repeating: false, count: graph.nodeCount)
    for u in users { mark[Int(u)] = true }
    for i in positives { mark[graph.users + Int(i)] = true }
    for i in negatives { mark[graph.users + Int(i)] = true }
    return mark.indices.filter { mark[$0] }.map { Int32($0) }
  }

  /// Forward pass for a training step: E(1)...E(L-1) in full, then E(L) and the final
  /// embeddings only at `rows`, which is all the loss reads.
  private func forwardForBatch(rows: [Int32]) {
    var previous = embedding.value
    for k in 0..<max(0, layers - 1) {
      graph.multiply(previous, into: &layerOutputs[k])
      previous = layerOutputs[k]
    }
    if layers >= 1 { graph.multiply(previous, into: &layerOutputs[layers - 1], rows: rows) }
    scaleRows(rows, of: embedding.value, times: weights[0], into: &final, accumulate: false)
    for k in 0..<layers { scaleRows(rows, of: layerOutputs[k], times: weights[k + 1], into: &final, accumulate: true) }
  }

  /// target[r] = w * source[r] (or += when `accumulate`) for the listed rows.
  private func scaleRows(
    _ rows: [Int32], of source: Matrix, times w: Float, into target: inout Matrix, accumulate: Bool
  ) {
    let d = dim
    source.withUnsafePointer { s in
      target.withUnsafeMutablePointer { t in
        for r in rows {
          let o = Int(r) * d
          if accumulate {
            for c in 0..<d { t[o + c] += w * s[o + c] }
          } else {
            for c in 0..<d { t[o + c] = w * s[o + c] }
          }
        }
      }
    }
  }
}

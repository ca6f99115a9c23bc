import CKernels
import Foundation

/// LightGCN (He et al., SIGIR 2020): user and item embeddings E0 propagated over the normalized
/// user-item graph, E(k+1) = A E(k), final embedding = sum_k w_k E(k) (w_k = 1/(L+1) by
/// default), scored by dot product and trained with BPR, L2 on the batch's layer-0 rows, Adam.
///
/// The backward pass is written out by hand: final = sum_k w_k A^k E0 and A is symmetric, so
/// dL/dE0 = sum_k w_k A^k G for the gradient G at the final embeddings, evaluated from the
/// deepest layer up as H = w_L G; H = A H + w_k G (L sparse products, like the forward pass).
/// A training step needs the final embeddings only at the batch's nodes, so the last forward
/// layer is computed for those rows alone, and the first backward product gathers only from
/// them: two of the 2L sparse products are cheap. Intermediate layers are stored in the
/// configured `PropagationPrecision` (half floats by default: the products are memory-bound).
public final class LightGCN: Recommender {
  /// Training recipe. The defaults are the fast recipe for a float model trained from its own
  /// start, chosen on a validation split carved from Gowalla's training data (RESULTS.md,
  /// issue 26): d = 128 (twice the paper's width), a spectral start, and batches of 32,768
  /// triples at a learning rate of 1e-2 decayed on a cosine over 200 epochs. At d = 64, batches
  /// of 16,384 need 400 epochs to reach the validation accuracy of 600 at the published
  /// constant 1e-3 and batch 2,048; d = 128 passes it in 100, and batches of 32,768 cost a third
  /// less per epoch than 16,384 for the same validation figures. The paper's model otherwise:
  /// BPR, 3 layers of weight 1/4, L2 1e-4, Adam, uniform negatives. `ModelRecipe` refits it on
  /// all the training data by default. `fineTune` keeps the earlier recipe, at d = 64, for warm
  /// starts and quantization-aware training.
  /// `Codable`, so checkpoints and model files record it whole, all but the warm start's
  /// embeddings (a record says whether there was one).
  public struct Configuration: Sendable, Codable {
    public var dim = 128
    public var layers = 3
    /// Per-layer weights w_0...w_L; nil means 1/(L+1) each.
    public var layerWeights: [Float]? = nil
    public var epochs = 200
    public var batchSize = 32768
    public var learningRate: Float = 1e-2
    /// L2 coefficient on the batch's layer-0 embeddings (divided by the batch size).
    public var l2: Float = 1e-4
    /// Standard deviation of the Gaussian start, and root mean square of the spectral one.
    public var initStd: Float = 0.1
    /// Start from the graph's leading singular vectors instead of Gaussian noise (ignored with
    /// `warmStart`).
    public var spectralStart: SpectralStart? = SpectralStart()
    public var seed: UInt64 = 2020
    /// Evaluate on the validation split every this many epochs (0: never): every 20, since
    /// the decaying rate puts the best epoch near the end of its course. Validation needs
    /// the data's validation items (see `ModelRecipe`).
    public var evaluateEvery = 20
    /// Validation runs without improvement before stopping.
    public var patience = 5
    /// How each epoch draws its (user, positive) pairs.
    public var sampling = PositiveSampling.interactions
    /// The learning rate's course over `epochs`.
    public var schedule = LearningRateSchedule.cosine
    /// Stop after this many of the `epochs` epochs; nil runs them all.
    public var stopAfter: Int? = nil
    /// How negatives are drawn; dynamic draws score candidates with the epoch's start model.
    public var negatives = NegativeSampling.uniform
    /// The loss on the final embeddings. The sampled softmax (`GraphLoss.softmax`) learns
    /// faster and wins on a validation split carved at random from the training data, but
    /// ranks by cosine, which loses on test splits that favour popular items (RESULTS.md,
    /// issue 26), so BPR stays the default.
    public var loss = GraphLoss.bpr
    /// Storage of the propagated layers during training steps.
    public var precision = PropagationPrecision.float16
    /// Quantization-aware training of the final embeddings (HQ-GNN); nil trains in full precision.
    public var quantization: QuantizationSettings? = nil
    /// Layer-0 embeddings to start from instead of a random initialization (for instance a
    /// trained full-precision model's, to fine-tune it with quantization), `dim` wide or
    /// narrower; they are mapped to `dim` by `warmStartRotation`.
    public var warmStart: Matrix? = nil
    /// How `warmStart` is mapped before training; every score of the warm start is kept.
    public var warmStartRotation = WarmStartRotation.none
    public init() {}

    private enum CodingKeys: String, CodingKey {
      case dim, layers, layerWeights, epochs, batchSize, learningRate, l2, initStd, spectralStart, seed,
        evaluateEvery, patience, sampling, schedule, stopAfter, negatives, loss, precision, quantization,
        warmStartRotation
    }

    /// The defaults of a fine-tune, a warm start or quantization-aware training (HQ-GNN): the
    /// recipe the HQ-GNN figures were measured with, BPR from a Gaussian start at d = 64,
    /// batches of 2,048 at a constant learning rate of 5e-3, for up to 400 epochs.
    public static var fineTune: Configuration {
      var c = Configuration()
      c.dim = 64
      c.epochs = 400
      c.batchSize = 2048
      c.learningRate = 5e-3
      c.spectralStart = nil
      c.schedule = .constant
      c.evaluateEvery = 5
      return c
    }

    /// Why these settings cannot train a model, or nil: quantization-aware training and
    /// dynamic or popularity-drawn negatives are built for BPR's triples, not the sampled
    /// softmax's shared negatives.
    public var problem: String? {
      guard case .softmax = loss else { return nil }
      if quantization != nil {
        return "the softmax loss trains float models; quantized ones train with bpr"
      }
      if negatives != .uniform {
        return "the softmax loss draws its shared negatives uniformly, not as \(negatives)"
      }
      return nil
    }

    /// The weights actually used.
    public var weights: [Float] { layerWeights ?? Array(repeating: 1 / Float(layers + 1), count: layers + 1) }
  }

  /// Layer-0 embeddings: users then items ((users + items) x dim).
  public let embedding: Parameter
  /// The propagation graph.
  public let graph: NormalizedAdjacency
  /// Layer weights w_0...w_L.
  public let weights: [Float]
  /// The training loss; with a cosine loss the final embeddings are kept at unit length.
  public let loss: GraphLoss
  /// Final (propagated) embeddings, refreshed by `propagate()`; what scoring reads.
  public private(set) var output: MatrixFactorization

  let workspace: PropagationWorkspace
  /// The sampled softmax's scratch, with `GraphLoss.softmax`.
  private var softmax: SampledSoftmax?
  /// Quantization-aware training state (HQ-GNN), nil for a full-precision model.
  let quantization: QuantizationState?
  /// With quantization: the codes of the final embeddings, refreshed by `propagate()`.
  public private(set) var codes: (users: PackedCodes, items: PackedCodes)?
  /// With frequency-aware widths (`QuantizationSettings.blocks`): the codes of the final
  /// embeddings, refreshed by `propagate()`, instead of `codes`.
  public private(set) var mixedCodes: (users: MixedCodes, items: MixedCodes)?

  /// A model over the graph of `matrix` with Gaussian-initialized layer-0 embeddings, whose
  /// training steps store propagated layers in `precision` and, with `quantization`, train on
  /// quantized final embeddings.
  public init(
    matrix: InteractionMatrix, dim: Int, weights: [Float], initStd: Float, seed: UInt64,
    precision: PropagationPrecision = .float16, quantization: QuantizationSettings? = nil, loss: GraphLoss = .bpr
  ) {
    precondition(weights.count >= 1, "at least layer 0")
    precondition(quantization == nil || loss == .bpr, "quantization trains with BPR")
    graph = NormalizedAdjacency(matrix)
    self.weights = weights
    self.loss = loss
    if case .softmax(_, let temperature, let cosine) = loss {
      softmax = SampledSoftmax(temperature: temperature, cosine: cosine)
    }
    var g = SeededGenerator(seed: seed)
    let n = graph.nodeCount
    self.dim = dim
    embedding = Parameter(name: "embedding", value: Matrix(rows: n, cols: dim, gaussianStd: initStd, generator: &g))
    workspace = PropagationWorkspace(graph: graph, dim: dim, layers: weights.count - 1, precision: precision)
    self.quantization = quantization.map { QuantizationState(settings: $0, seed: seed &+ 7, matrix: matrix) }
    output = MatrixFactorization(
      userEmbedding: Matrix(rows: graph.users, cols: dim), itemEmbedding: Matrix(rows: graph.items, cols: dim))
    propagate()
  }

  public var itemCount: Int { graph.items }
  /// Embedding width. Stored rather than read from `embedding`, whose values a fused training
  /// step holds for writing while the pass reads the width.
  public let dim: Int
  /// Number of propagation layers L.
  public var layers: Int { weights.count - 1 }

  public func score(_ queries: ArraySlice<ScoringQuery>, into scores: UnsafeMutablePointer<Float>) {
    output.score(queries, into: scores)
  }

  public func search(_ queries: [ScoringQuery], k: Int) -> SearchResult { output.search(queries, k: k) }

  /// Runs the forward propagation in float32 and refreshes the final embeddings used for
  /// scoring: final = sum_k w_k E(k) at every node.
  public func propagate() {
    let final = finalEmbeddings(of: embedding.value)
    let userFinal = final.rows(0..<graph.users)
    let itemFinal = final.rows(graph.users..<graph.nodeCount)
    if let q = quantization, let marks = q.nodeBlocks, let blocks = q.settings.blocks {
      let mixed = (
        users: MixedCodes(quantizing: userFinal, widths: blocks.userWidths, block: marks.users),
        items: MixedCodes(quantizing: itemFinal, widths: blocks.bits, block: marks.items)
      )
      mixedCodes = mixed
      output = MatrixFactorization(userEmbedding: mixed.users.dequantized(), itemEmbedding: mixed.items.dequantized())
    } else if let q = quantization {
      let packed = (
        users: PackedCodes(quantizing: userFinal, with: q.quantizer),
        items: PackedCodes(quantizing: itemFinal, with: q.quantizer)
      )
      codes = packed
      output = MatrixFactorization(userEmbedding: packed.users.dequantized(), itemEmbedding: packed.items.dequantized())
    } else if loss.ranksByCosine {
      output = MatrixFactorization(userEmbedding: userFinal.unitRows(), itemEmbedding: itemFinal.unitRows())
    } else {
      output = MatrixFactorization(userEmbedding: userFinal, itemEmbedding: itemFinal)
    }
  }

  /// The final embeddings sum_k w_k A^k e0 of layer-0 rows `e0` ((users + items) x d, d <= dim),
  /// in float32, with the workspace's layers as scratch.
  func finalEmbeddings(of e0: Matrix) -> Matrix {
    precondition(e0.rows == graph.nodeCount && e0.cols <= dim, "layer-0 rows of another shape")
    let ws = workspace
    let d = e0.cols
    let count = e0.rows * d
    var final = Matrix(rows: e0.rows, cols: d)
    e0.withUnsafePointer { e0 in
      var previous = UnsafeRawPointer(e0)
      for k in 0..<layers {
        graph.propagate(NormalizedAdjacency.product(previous, into: ws.layers[k]), dim: d)
        previous = UnsafeRawPointer(ws.layers[k])
      }
      let w = weights
      let layers = layers
      final.withUnsafeMutablePointer { f in
        Parallel.forEachChunk(of: count) { _, range in
          for i in range { f[i] = w[0] * e0[i] }
          for k in 0..<layers {
            let e = ws.layers[k].assumingMemoryBound(to: Float.self)
            for i in range { f[i] += w[k + 1] * e[i] }
          }
        }
      }
    }
    return final
  }

  /// `start` mapped to this model's width by `rotation` (a map with orthonormal rows, so every
  /// score of the warm start is kept): as is, widened at random, or fitted by ITQ to the
  /// signs of its final embeddings.
  func mappedWarmStart(_ start: Matrix, rotation: WarmStartRotation, seed: UInt64) -> Matrix {
    switch rotation {
    case .none:
      return start.cols == dim ? start : start.widened(to: dim, seed: seed)
    case .itq:
      return start.projected(
        by: IterativeQuantization.projection(for: finalEmbeddings(of: start), width: dim, seed: seed))
    }
  }

  /// Trains on `dataset.train`; with `evaluateEvery` set, keeps the best validation epoch
  /// (throws `RecipeError.noValidation` when the data has no validation items; `ModelRecipe`
  /// carves them). Throws `FrequencyBlocksError` for width blocks that do not fit the data.
  /// With `checkpoint`, saves the run after every epoch and, when asked, resumes it.
  public static func train(
    on dataset: Dataset, configuration c: Configuration, checkpoint: CheckpointOptions? = nil,
    observer: TrainingObserver? = nil
  ) throws -> LightGCN {
    guard c.evaluateEvery == 0 || dataset.hasValidationItems else { throw RecipeError.noValidation }
    if let problem = c.problem { throw RecipeError.settings(problem) }
    let matrix = dataset.trainMatrix()
    _ = try c.quantization?.blocks?.marks(for: matrix)  // refused here, not at a precondition in init
    let model = LightGCN(
      matrix: matrix, dim: c.dim, weights: c.weights, initStd: c.initStd, seed: c.seed, precision: c.precision,
      quantization: c.quantization, loss: c.loss)
    if let start = c.warmStart {
      precondition(start.rows == model.embedding.value.rows && start.cols <= c.dim, "warm start has another shape")
    }
    let adam = Adam(learningRate: c.learningRate)
    var best: Matrix?
    var settings = try c.checkpointSettings(model: "lightgcn")
    settings["warm_start"] = .bool(c.warmStart != nil)
    let loop = BPRTrainingLoop(
      epochs: c.epochs, batchSize: c.batchSize, evaluateEvery: c.evaluateEvery, patience: c.patience,
      samplerSeed: c.seed &+ 1, sampling: c.sampling, schedule: c.schedule, learningRate: c.learningRate,
      negatives: c.negatives, stopAfter: c.stopAfter, checkpoint: checkpoint,
      settings: settings,
      dataFingerprint: dataset.fingerprint())
    model.summary = try loop.run(
      matrix: matrix, observer: observer,
      step: { users, positives, negatives, rate, drawNext in
        adam.learningRate = rate
        return model.step(
          users: users, positives: positives, negatives: negatives, l2: c.l2, adam: adam, alongsideLoss: drawNext)
      },
      validate: {
        model.propagate()
        return FullRankingEvaluator(cutoffs: [20]).evaluate(model, on: dataset, target: .validation)
          .metrics["recall@20"] ?? 0
      },
      keepBest: { best = model.embedding.value },
      restoreBest: {
        model.embedding.value = best!
        model.workspace.halfInputCurrent = false
      },
      saveState: {
        var tensors = model.embedding.checkpointTensors(adam: adam, prefix: "embedding")
        if let best {
          tensors.append(Tensor(name: "best/embedding", matrix: best))
        }
        if let q = model.quantization {
          tensors.append(Tensor(name: "quantization/delta", shape: [1], floats: [q.delta]))
          tensors.append(Tensor(name: "quantization/steps", shape: [1], int32: [Int32(q.steps)]))
        }
        return tensors
      },
      restoreState: { file in
        try model.embedding.restoreCheckpoint(from: file, adam: adam, prefix: "embedding")
        model.workspace.halfInputCurrent = false
        let e = model.embedding.value
        if file.tensors.contains(where: { $0.name == "best/embedding" }) {
          best = try file.matrix("best/embedding", rows: e.rows, cols: e.cols)
        }
        if let q = model.quantization {
          q.delta = try file.floats("quantization/delta", shape: [1])[0]
          q.steps = Int(try file.int32s("quantization/steps", shape: [1])[0])
        }
      },
      freshStart: {
        if let start = c.warmStart {
          model.embedding.value = model.mappedWarmStart(start, rotation: c.warmStartRotation, seed: c.seed)
        } else if let spectral = c.spectralStart {
          model.embedding.value = spectral.embeddings(
            for: model.graph, weights: c.weights, dim: c.dim, rms: c.initStd, seed: c.seed)
        }
      },
      parameters: { [model.embedding.value] },
      beginEpoch: { model.propagate() },
      hardest: { user, candidates in model.output.highestScoring(candidates, for: user) })
    model.propagate()
    return model
  }

  /// What `train` did: epochs run, best validation epoch and figure (nil for a model not
  /// trained by `train`).
  public internal(set) var summary: TrainingSummary?

  /// Time of the training steps so far, by phase (the epoch benchmark reports it).
  public internal(set) var phases = StepPhases()

  /// Adds the seconds `body` takes to `phase` of `phases`.
  private func timed<R>(_ phase: WritableKeyPath<StepPhases, Double>, _ body: () -> R) -> R {
    let start = DispatchTime.now().uptimeNanoseconds
    defer { phases[keyPath: phase] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
    return body()
  }

  /// One optimizer step on a batch of (user, positive, negative) triples; returns the mean loss.
  /// With two or more propagation layers, the Adam update is fused into the backward pass's last product
  /// (`GradientSink.adam`), which also refreshes the next step's half-float copy of E(0).
  /// `alongsideLoss` runs on the other core while the batch's loss (one core) is computed.
  func step(
    users: [Int32], positives: [Int32], negatives: [Int32], l2: Float, adam: Adam,
    alongsideLoss: () -> Void = {}
  ) -> Double {
    // With one layer the only product is the first, which pushes from the batch's rows and
    // cannot apply Adam row by row.
    guard layers > 1 else {
      alongsideLoss()
      let loss = accumulateGradients(users: users, positives: positives, negatives: negatives, l2: l2)
      adam.step([embedding])
      return loss
    }
    adam.beginStep()
    let ws = workspace
    return adam.withStepArguments(embedding) { arguments in
      var update = arguments
      update.w_half = ws.halfInput?.assumingMemoryBound(to: UInt16.self)
      let loss = gradientPass(
        e0: arguments.w, users: users, positives: positives, negatives: negatives, l2: l2, sink: .adam(update),
        alongsideLoss: alongsideLoss)
      ws.halfInputCurrent = ws.halfInput != nil
      return loss
    }
  }

  /// Forward pass, BPR loss on the final embeddings plus L2 on the batch's layer-0 rows, and
  /// the gradient with respect to the layer-0 embeddings written to `embedding.grad`.
  ///
  /// forward: final = sum_k w_k E(k); x = <f_u, f_i - f_j>; loss = mean softplus(-x) +
  /// l2/2 (|e_u|^2 + |e_i|^2 + |e_j|^2) / B.
  /// backward: G[u] += dx (f_i - f_j), G[i] += dx f_u, G[j] -= dx f_u with dx = -sigma(-x);
  /// dE0 = (sum_k w_k A^k G + l2 * sum of the batch's e rows) / B (Horner from layer L).
  /// With the sampled softmax, G comes from `SampledSoftmax` instead and the rest is the same.
  func accumulateGradients(users: [Int32], positives: [Int32], negatives: [Int32], l2: Float) -> Double {
    workspace.halfInputCurrent = false
    return embedding.grad.withUnsafeMutablePointer { out in
      embedding.value.withUnsafePointer { e in
        gradientPass(e0: e, users: users, positives: positives, negatives: negatives, l2: l2, sink: .table(out))
      }
    }
  }

  /// Where the backward pass's last product, dE0, goes.
  private enum GradientSink {
    /// Into this (nodes x dim) table.
    case table(UnsafeMutablePointer<Float>)
    /// Into this Adam step on the layer-0 embeddings, row by row as the product finishes them.
    case adam(crk_adam_rows)
  }

  /// The forward and backward pass of `accumulateGradients` from layer-0 embeddings `e0`,
  /// with dE0 going to `sink` and `alongsideLoss` run on the other core during the loss.
  /// Returns the mean loss.
  private func gradientPass(
    e0 e: UnsafePointer<Float>, users: [Int32], positives: [Int32], negatives: [Int32], l2: Float,
    sink: GradientSink, alongsideLoss: () -> Void = {}
  ) -> Double {
    let n = users.count
    let negatives = sharedNegatives(negatives)
    workspace.collectRows(users: users, positives: positives, negatives: negatives, offset: graph.users)
    forwardForBatch(e0: e)
    let loss = timed(\.loss) {
      lossAndGradient(
        e0: e, users: users, positives: positives, negatives: negatives, l2: l2, alongside: alongsideLoss)
    }
    backward(into: sink, scale: 1 / Float(n))
    return loss / Double(n)
  }

  /// The batch's loss (summed over its triples, or with the sampled softmax over its pairs) and
  /// its gradient at the batch's rows, the quantizer's part when training codes, and the
  /// layer-0 term of dE0 in `regularizer`.
  /// The loss kernel runs on one core, `alongside` on the other.
  private func lossAndGradient(
    e0 e: UnsafePointer<Float>, users: [Int32], positives: [Int32], negatives: [Int32], l2: Float,
    alongside: () -> Void
  ) -> Double {
    let d = dim
    let ws = workspace
    let rowCount = ws.rows.count
    var loss = 0.0
    if let q = quantization { quantizeBatch(q) }
    Parallel.together(
      {
        if let softmax {
          loss = softmax.lossAndGradient(
            final: ws.final.pointer, grad: ws.gradient.pointer, reg: ws.regularizer.pointer, e0: e,
            slot: ws.slot.pointer, users: users, positives: positives, shared: negatives, itemOffset: graph.users,
            dim: d, l2: l2)
        } else {
          loss = bprTriples(e0: e, users: users, positives: positives, negatives: negatives, l2: l2)
        }
      }, alongside)
    if let q = quantization { estimateGradient(q, users: users, positives: positives, negatives: negatives) }
    // The layer-0 term of dE0 (before the 1/B scale): w_0 G + l2 * sum of e0 rows.
    let r = ws.regularizer.pointer
    let g = ws.gradient.pointer
    let w0 = weights[0]
    for k in 0..<(rowCount * d) { r[k] = w0 * g[k] + l2 * r[k] }
    return loss
  }

  /// The negatives the batch's loss reads: all of them for BPR, the first `negatives` of them,
  /// shared by every pair, for the sampled softmax.
  private func sharedNegatives(_ negatives: [Int32]) -> [Int32] {
    guard case .softmax(let count, _, _) = loss, negatives.count > count else { return negatives }
    return Array(negatives.prefix(count))
  }

  /// The BPR loss kernel over the batch's triples (see `crk_bpr_triples`): the summed loss, with
  /// the gradient and the layer-0 rows' sum accumulated at the batch's rows.
  private func bprTriples(
    e0 e: UnsafePointer<Float>, users: [Int32], positives: [Int32], negatives: [Int32], l2: Float
  ) -> Double {
    let d = dim
    let n = users.count
    let offset = graph.users
    let ws = workspace
    return crk_bpr_triples(
      ws.final.pointer, ws.gradient.pointer, ws.regularizer.pointer, e, ws.slot.pointer, users, positives, negatives,
      Int64(n), Int64(offset), Int32(d), l2)
  }

  /// Forward pass for a training step: E(1)...E(L-1) in full, then E(L) only at the batch's
  /// rows, and the compact final embeddings there, which is all the loss reads. The half-float
  /// copy of E(0) is made here unless a fused step already wrote it (`halfInputCurrent`).
  private func forwardForBatch(e0: UnsafePointer<Float>) {
    let ws = workspace
    let d = dim
    let half = ws.half
    var previous = UnsafeRawPointer(e0)
    var previousHalf = false
    timed(\.forwardLayers) {
      if let h = ws.halfInput {
        if !ws.halfInputCurrent {
          Parallel.forEachChunk(of: ws.count) { _, range in
            crk_convert_to_half(
              e0 + range.lowerBound, h.assumingMemoryBound(to: UInt16.self) + range.lowerBound, Int64(range.count))
          }
        }
        previous = UnsafeRawPointer(h)
        previousHalf = true
      }
      for k in 0..<max(0, layers - 1) {
        var p = NormalizedAdjacency.product(previous, into: ws.layers[k])
        p.x_half = previousHalf ? 1 : 0
        p.y_half = half ? 1 : 0
        graph.propagate(p, dim: d)
        previous = UnsafeRawPointer(ws.layers[k])
        previousHalf = half
      }
    }
    timed(\.forwardBatch) { forwardRows(e0: e0, previous: previous, previousHalf: previousHalf) }
  }

  /// The second part of `forwardForBatch`: E(L) at the batch's rows from `previous`, E(L-1)
  /// (E(0) when there is one layer), and the final embeddings there.
  private func forwardRows(e0: UnsafePointer<Float>, previous: UnsafeRawPointer, previousHalf: Bool) {
    let ws = workspace
    let d = dim
    let half = ws.half
    let rows = ws.rows
    let f = ws.final.pointer
    // The lower layers' terms of list positions `range`.
    let addLowerLayers = { (range: Range<Int>) in
      let list = rows.baseAddress! + range.lowerBound
      let out = f + range.lowerBound * d
      let n = Int64(range.count)
      crk_add_rows(e0, 0, list, n, self.weights[0], out, Int32(d))
      for k in 0..<max(0, self.layers - 1) {
        crk_add_rows(ws.layers[k], half ? 1 : 0, list, n, self.weights[k + 1], out, Int32(d))
      }
    }
    if layers >= 1 {
      var p = NormalizedAdjacency.product(previous, into: UnsafeMutableRawPointer(f))
      p.x_half = previousHalf ? 1 : 0
      p.scale = weights[layers]
      graph.propagate(p, dim: d, rows: rows, then: addLowerLayers)
    } else {
      f.update(repeating: 0, count: rows.count * d)
      addLowerLayers(0..<rows.count)
    }
  }

  /// dE0 = scale * sum_k w_k A^k G into `out` (every row), by Horner from the deepest layer:
  /// h = w_L G, then h = A h + w_k G for k = L-1...0. The first product's operand is non-zero
  /// only at the batch's rows, so those rows push the compact G into their neighbours
  /// (`NormalizedAdjacency.push`), which costs their edges alone; the last goes to `sink`.
  private func backward(into sink: GradientSink, scale: Float) {
    let ws = workspace
    let d = dim
    let g = ws.gradient.pointer
    let layerZeroTerm = ws.regularizer.pointer
    guard layers > 0 else {
      guard case .table(let out) = sink else { preconditionFailure("a fused Adam step needs a product") }
      Parallel.forEachChunk(of: ws.count) { _, range in
        (out + range.lowerBound).update(repeating: 0, count: range.count)
      }
      for (t, r) in ws.rows.enumerated() {
        for c in 0..<d { out[Int(r) * d + c] = scale * layerZeroTerm[t * d + c] }
      }
      return
    }
    var previous = UnsafeRawPointer(g)
    var previousHalf = false
    for k in stride(from: layers - 1, through: 0, by: -1) {
      let first = k == layers - 1
      var target = ws.layers[(layers - 1 - k) % 2]
      if k == 0, case .table(let out) = sink { target = UnsafeMutableRawPointer(out) }
      var p = NormalizedAdjacency.product(previous, into: target)
      p.x_half = previousHalf ? 1 : 0
      p.scale = (first ? weights[layers] : 1) * (k == 0 ? scale : 1)
      // Layers above 0 add w_k G; layer 0 adds the prepared w_0 G + l2 * e0 term.
      p.extra = UnsafePointer(k == 0 ? layerZeroTerm : g)
      p.extra_slot = UnsafePointer(ws.slot.pointer)
      p.extra_weight = k == 0 ? scale : weights[k]
      p.y_half = k > 0 && ws.half ? 1 : 0
      let phase: WritableKeyPath<StepPhases, Double> =
        first ? \.backwardFirst : k == 0 ? \.backwardLast : \.backwardMiddle
      timed(phase) {
        if first {
          graph.push(
            g, rows: ws.rows, scale: p.scale, extra: p.extra!, extraWeight: p.extra_weight, into: target,
            half: p.y_half != 0, dim: d)
        } else if k == 0, case .adam(let update) = sink {
          withUnsafePointer(to: update) { update in
            p.adam = update
            graph.propagate(p, dim: d)
          }
        } else {
          graph.propagate(p, dim: d)
        }
      }
      previous = UnsafeRawPointer(target)
      previousHalf = p.y_half != 0
    }
  }
}

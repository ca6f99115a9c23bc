/// Quantization-aware training settings for LightGCN (HQ-GNN): the final user and item
/// embeddings pass through a b-bit `RowQuantizer` in every training step, the BPR loss is
/// computed on the quantized values, and `estimator` carries the gradient back through the
/// quantizer.
public struct QuantizationSettings: Sendable, Equatable, Codable {
  /// Bits per dimension (1, 2, 3, 4 or 8).
  public var bits: Int
  /// The gradient estimator across the quantizer.
  public var estimator: GradientEstimator
  /// LightGCN: 8 stores the deployed model's steps in 8 bits on a log scale (`LogSteps`),
  /// rounded after training; nil keeps them as 32-bit floats.
  public var stepBits: Int? = nil
  /// LightGCN: frequency-aware widths, users and items cut into frequency blocks with bits of
  /// their own, which replace `bits` (the command line sets it to the widest); nil gives every
  /// row `bits`.
  public var blocks: WidthBlocks? = nil

  public init(bits: Int, estimator: GradientEstimator = .hessianAware) {
    precondition(RowQuantizer.supportedBits.contains(bits), "unsupported bit width \(bits)")
    self.bits = bits
    self.estimator = estimator
  }
}

/// The running state of quantization-aware training: the estimator's current delta and the
/// step count that schedules its refresh (both saved in checkpoints).
final class QuantizationState {
  let settings: QuantizationSettings
  let quantizer: RowQuantizer
  /// With `settings.blocks`: the frequency block of every node (users, then items).
  let nodeBlocks: (users: [UInt8], items: [UInt8])?
  /// The quantizer of each node's rows.
  let nodeQuantizers: [RowQuantizer]
  /// The GSTE delta in use (0 for STE).
  var delta: Float = 0
  /// Training steps taken.
  var steps = 0
  /// The batch's final embeddings before quantization, compact like the workspace's.
  var unquantized: [Float] = []
  /// Seed of the Hutchinson probes (combined with the step count).
  let seed: UInt64

  /// The state for training on `matrix`. Precondition: `settings.blocks`, if any, fit it
  /// (`WidthBlocks.marks(for:)` does not throw).
  init(settings: QuantizationSettings, seed: UInt64, matrix: InteractionMatrix) {
    self.settings = settings
    quantizer = RowQuantizer(bits: settings.bits)
    if let blocks = settings.blocks {
      do {
        let marks = try blocks.marks(for: matrix)
        nodeBlocks = marks
        nodeQuantizers =
          marks.users.map { RowQuantizer(bits: blocks.userWidths[Int($0)]) }
          + marks.items.map { RowQuantizer(bits: blocks.bits[Int($0)]) }
      } catch {
        preconditionFailure("width blocks that do not fit the graph: \(error)")
      }
    } else {
      nodeBlocks = nil
      nodeQuantizers = []
    }
    self.seed = seed
    if case .gsteFixed(let d) = settings.estimator { delta = d }
  }
}

extension LightGCN {
  /// Replaces the batch's compact final rows by their quantized values, keeping the
  /// originals for the estimator.
  func quantizeBatch(_ q: QuantizationState) {
    let ws = workspace
    let d = dim
    let size = ws.rows.count * d
    if q.unquantized.count < size { q.unquantized = [Float](repeating: 0, count: ws.final.count) }
    let f = ws.final.pointer
    let rows = ws.rows
    q.unquantized.withUnsafeMutableBufferPointer { u in
      u.baseAddress!.update(from: f, count: size)
      for t in 0..<(size / max(1, d)) {
        let quantizer = q.nodeQuantizers.isEmpty ? q.quantizer : q.nodeQuantizers[Int(rows[t])]
        quantizer.quantize(u.baseAddress! + t * d, count: d, codes: nil, dequantized: f + t * d)
      }
    }
  }

  /// Turns the gradient at the quantized rows into the gradient at the unquantized ones with
  /// the configured estimator, refreshing GSTE's delta from the Hessian when it is due.
  func estimateGradient(
    _ q: QuantizationState, users: [Int32], positives: [Int32], negatives: [Int32]
  ) {
    defer { q.steps += 1 }
    let ws = workspace
    let size = ws.rows.count * dim
    if case .gste(let every, let probes) = q.settings.estimator, q.steps % max(1, every) == 0 {
      q.delta = hessianDelta(probes: probes, users: users, positives: positives, negatives: negatives, q: q)
    }
    q.unquantized.withUnsafeBufferPointer { x in
      GradientEstimator.applyGSTE(
        to: ws.gradient.pointer, x: x.baseAddress!, quantized: ws.final.pointer, count: size, delta: q.delta)
    }
  }

  /// delta = (Tr(H) / N) / (3 std(g_q)) for the mean BPR loss of this batch at its quantized
  /// rows: H by Hutchinson's estimate, g_q the batch gradient (workspace sums over B).
  private func hessianDelta(
    probes: Int, users: [Int32], positives: [Int32], negatives: [Int32], q: QuantizationState
  ) -> Float {
    let ws = workspace
    let offset = graph.users
    let slot = ws.slot
    let hessian = BPRHessian(
      users: users.map { slot[Int($0)] }, positives: positives.map { slot[offset + Int($0)] },
      negatives: negatives.map { slot[offset + Int($0)] }, dim: dim)
    let rows = ws.rows.count
    var generator = SeededGenerator(seed: q.seed ^ UInt64(q.steps))
    let trace = hessian.traceEstimate(at: ws.final.pointer, rows: rows, probes: probes, generator: &generator)
    let b = Float(users.count)
    let meanGradient = ws.gradient.buffer[0..<(rows * dim)].map { $0 / b }
    return meanGradient.withUnsafeBufferPointer {
      GradientEstimator.delta(hessianTrace: trace, gradient: $0.baseAddress!, count: rows * dim)
    }
  }
}

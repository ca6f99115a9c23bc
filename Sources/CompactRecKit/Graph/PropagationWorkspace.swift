/// How LightGCN stores the propagated layers during training. Parameters, optimizer state,
/// accumulations and evaluation are always float32; `float16` stores the intermediate layers
/// E(1)...E(L-1) and the backward chain as IEEE half floats, which halves the bytes the
/// memory-bound sparse products gather (faster steps, RESULTS.md; relative rounding 2^-11).
public enum PropagationPrecision: String, Sendable, CaseIterable, Codable {
  case float32
  case float16
}

/// Scratch memory for LightGCN: (nodes x dim) buffers allocated once per model and compact
/// per-batch buffers that only ever grow, so that a training step allocates nothing.
final class PropagationWorkspace {
  let nodeCount: Int
  let dim: Int
  let half: Bool
  /// E(1)...E(L) in float32 size (a step stores E(1)...E(L-1) in its precision; the backward
  /// chain reuses the first two).
  let layers: [UnsafeMutableRawPointer]
  /// Half-precision copy of E(0), the first full product's operand (float16 with two or more layers).
  let halfInput: UnsafeMutableRawPointer?
  /// Whether `halfInput` holds the current E(0): set by a training step whose fused Adam update
  /// wrote it, cleared by anything else that changes E(0) (see `LightGCN.step`).
  var halfInputCurrent = false
  /// The current batch's distinct nodes, ascending (see `collectRows`); they live in
  /// `rowList`.
  private(set) var rows = UnsafeBufferPointer<Int32>(start: nil, count: 0)
  private let rowList: AlignedBuffer<Int32>
  /// Compact position of each node in `rows`, or -1.
  let slot: AlignedBuffer<Int32>
  /// Final embeddings of `rows`, compact ((rows.count x dim)); grown with the batches.
  private(set) var final = AlignedBuffer<Float>(repeating: 0, count: 0)
  /// dLoss/dfinal at `rows`, compact, per triple (not yet divided by the batch size).
  private(set) var gradient = AlignedBuffer<Float>(repeating: 0, count: 0)
  /// Sum of each row's layer-0 embedding over its occurrences in the batch, compact; the
  /// backward pass turns it into the layer-0 gradient term w_0 G + l2 * this.
  private(set) var regularizer = AlignedBuffer<Float>(repeating: 0, count: 0)

  init(graph: NormalizedAdjacency, dim: Int, layers: Int, precision: PropagationPrecision) {
    let nodeCount = graph.nodeCount
    self.nodeCount = nodeCount
    self.dim = dim
    half = precision == .float16
    let bytes = max(64, nodeCount * dim * 4)
    func buffer(_ bytes: Int) -> UnsafeMutableRawPointer {
      let p = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
      p.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
      return p
    }
    self.layers = (0..<layers).map { _ in buffer(bytes) }
    halfInput = half && layers >= 2 ? buffer(bytes / 2) : nil
    slot = AlignedBuffer(repeating: -1, count: nodeCount)
    rowList = AlignedBuffer(repeating: 0, count: nodeCount)
  }

  deinit {
    for p in layers { p.deallocate() }
    halfInput?.deallocate()
  }

  /// Elements per (nodes x dim) buffer.
  var count: Int { nodeCount * dim }

  /// Sets `rows` and `slot` to the distinct graph nodes of a batch (users, and items shifted by
  /// `offset`) and zeroes the compact buffers for them.
  func collectRows(users: [Int32], positives: [Int32], negatives: [Int32], offset: Int) {
    precondition(!users.isEmpty, "empty batch")
    for r in rows { slot[Int(r)] = -1 }
    for u in users { slot[Int(u)] = 0 }
    for i in positives { slot[offset + Int(i)] = 0 }
    for i in negatives { slot[offset + Int(i)] = 0 }
    var count = 0
    for v in 0..<nodeCount where slot[v] == 0 {
      slot[v] = Int32(count)
      rowList[count] = Int32(v)
      count += 1
    }
    rows = UnsafeBufferPointer(start: rowList.pointer, count: count)
    let size = count * dim
    if final.count < size {
      final = AlignedBuffer(repeating: 0, count: size)
      gradient = AlignedBuffer(repeating: 0, count: size)
      regularizer = AlignedBuffer(repeating: 0, count: size)
    }
    gradient.pointer.update(repeating: 0, count: size)
    regularizer.pointer.update(repeating: 0, count: size)
  }
}

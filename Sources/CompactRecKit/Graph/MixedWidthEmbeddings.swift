import CKernels

/// The deployable form of a LightGCN trained with frequency-aware widths (HQ-GNN with
/// `WidthBlocks`): user and item codes whose width depends on the row's frequency block, and
/// their steps; no float embeddings. Scores are the dot products of the dequantized rows.
///
/// When every width divides the widest (1, 2, 4 and 8 bits mix freely; 3 with 1), the codes are
/// re-expressed exactly at the widest width in memory (`MixedCodes.widened(to:)`) and searched
/// by the uniform code search (`QuantizedEmbeddings`, `CodeSearchIndex`): the file keeps its
/// mixed widths, the memory and the search speed are those of the widest. Otherwise each pair
/// of widths is scored by bit-plane AND and popcount (`MixedCodeSearchIndex`). Immutable, so
/// any number of threads may use it at once.
public final class MixedWidthEmbeddings: Recommender, Sendable {
  /// How the model scores and searches.
  private enum Engine: Sendable {
    /// Users and items re-expressed at one width, under the uniform code search.
    case widened(QuantizedEmbeddings)
    /// The mixed-width search, with each user's norm for its bound.
    case mixed(MixedCodeSearchIndex, userNorms: [Float])
  }

  /// User codes.
  public let users: MixedCodes
  /// Item codes.
  public let items: MixedCodes
  /// Propagation layers the embeddings went through (recorded for `inspect`).
  public let layers: Int
  /// With 8-bit steps: each block's steps as stored (`users` and `items` hold the steps they
  /// stand for); nil with float steps.
  public let logSteps: (users: [LogSteps], items: [LogSteps])?
  private let engine: Engine

  /// A model over user and item codes of the same dimension; builds its search index. With
  /// `stepBits` 8, every block's steps are rounded to 8-bit log-scale codes (`LogSteps`, one
  /// range per block), and the model scores with the rounded steps it stores.
  public convenience init(users: MixedCodes, items: MixedCodes, layers: Int, stepBits: Int? = nil) {
    precondition(stepBits == nil || stepBits == 8, "steps are stored in 32 or 8 bits")
    guard stepBits == 8 else {
      self.init(users: users, items: items, layers: layers, logSteps: nil)
      return
    }
    let encode = { (codes: MixedCodes) in codes.blocks.map { LogSteps(encoding: $0.steps) } }
    let round = { (codes: MixedCodes, logs: [LogSteps]) in
      MixedCodes(blocks: zip(codes.blocks, logs).map { $0.replacingSteps($1.steps) }, block: codes.block)
    }
    let logs = (users: encode(users), items: encode(items))
    self.init(users: round(users, logs.users), items: round(items, logs.items), layers: layers, logSteps: logs)
  }

  /// The model over `users` and `items`, whose steps are those `logSteps` (when given) stands
  /// for.
  init(users: MixedCodes, items: MixedCodes, layers: Int, logSteps: (users: [LogSteps], items: [LogSteps])?) {
    precondition(users.dim == items.dim, "user and item codes differ in dimension")
    self.users = users
    self.items = items
    self.layers = layers
    self.logSteps = logSteps
    if let width = MixedCodes.commonWidth(users.widths + items.widths) {
      engine = .widened(
        QuantizedEmbeddings(users: users.widened(to: width), items: items.widened(to: width), layers: layers))
    } else {
      let blockNorms = users.blocks.map { $0.norms() }
      engine = .mixed(
        MixedCodeSearchIndex(items: items),
        userNorms: (0..<users.rows).map { blockNorms[Int(users.block[$0])][Int(users.slot[$0])] })
    }
  }

  /// Whether the codes are searched re-expressed at one width (see the type's comment).
  public var searchesWidenedCodes: Bool {
    if case .widened = engine { return true }
    return false
  }

  /// Bytes per item of the search structure in memory.
  public var indexBytesPerItem: Double {
    switch engine {
    case .widened(let uniform): return uniform.index.bytesPerItem
    case .mixed(let index, _): return index.bytesPerItem
    }
  }

  public var itemCount: Int { items.rows }

  /// Bytes of the item codes as the model file stores them: codes without padding, steps
  /// (32-bit, or 8-bit with a range per block) and the 2-bit block marks.
  public var itemBytes: Int {
    logSteps == nil ? items.storedBytes() : items.storedBytes(stepBytes: 1) + 8 * items.blocks.count
  }

  /// The `k` best items of each query by exact search over the codes.
  public func search(_ queries: [ScoringQuery], k: Int) -> SearchResult {
    switch engine {
    case .widened(let uniform): return uniform.search(queries, k: k)
    case .mixed(let index, let userNorms):
      return index.search(queries.map { code(for: $0, userNorms: userNorms) }, k: k, filters: queries.map(\.filter))
    }
  }

  /// Scores every item for each query: the same numbers the search ranks by.
  public func score(_ queries: ArraySlice<ScoringQuery>, into scores: UnsafeMutablePointer<Float>) {
    switch engine {
    case .widened(let uniform): uniform.score(queries, into: scores)
    case .mixed(_, let userNorms): mixedScores(queries, userNorms: userNorms, into: scores)
    }
  }

  /// `score` for the mixed-width search: every item block scored by the mixed kernel.
  private func mixedScores(
    _ queries: ArraySlice<ScoringQuery>, userNorms: [Float], into scores: UnsafeMutablePointer<Float>
  ) {
    let n = items.rows
    let start = queries.startIndex
    let wpp = (items.dim + 63) / 64
    Parallel.forEach(queries.count, grain: 1) { t in
      let query = self.code(for: queries[start + t], userNorms: userNorms)
      let out = scores + t * n
      var blockScores = [Float](repeating: 0, count: items.blocks.map(\.rows).max() ?? 0)
      query.words.withUnsafeBufferPointer { u in
        for (codes, members) in zip(items.blocks, items.members) where codes.rows > 0 {
          crk_mixed_code_scores(
            u.baseAddress, Int32(query.bits), query.step, query.sum, codes.words, Int32(codes.bits), codes.steps,
            codes.codeSums, Int64(codes.rows), Int32(wpp), Int32(items.dim), &blockScores)
          for (j, item) in members.enumerated() { out[Int(item)] = blockScores[j] }
        }
      }
    }
  }

  /// The query's code row for the mixed-width search: a known user's stored row; otherwise the
  /// mean of its history's dequantized item rows, quantized at the widest width of the model
  /// (as the widened search quantizes it).
  private func code(for query: ScoringQuery, userNorms: [Float]) -> MixedCodeSearchIndex.Query {
    if let u = query.user.map(Int.init) {
      return MixedCodeSearchIndex.Query(
        users.blocks[Int(users.block[u])], row: Int(users.slot[u]), norm: userNorms[u])
    }
    let codes = PackedCodes.foldingIn(
      items.dequantizedRows(query.history), with: RowQuantizer(bits: (users.widths + items.widths).max()!))
    return MixedCodeSearchIndex.Query(codes, row: 0, norm: codes.norms()[0])
  }
}

extension MixedWidthEmbeddings: PersistableModel {
  public static let kind = "hqgnn-mixed"

  public var hyperParameters: [String: JSONValue] {
    var h: [String: JSONValue] = [
      "dim": .number(Double(items.dim)), "layers": .number(Double(layers)),
      "block_bits": .array(items.widths.map { .number(Double($0)) }),
      "user_block_bits": .array(users.widths.map { .number(Double($0)) }),
    ]
    if logSteps != nil { h["step_bits"] = 8 }
    return h
  }

  /// A code row stands for `dim` weights; the block marks and step ranges are not parameters.
  public static func parameters(inTensor name: String, shape: [Int], hyperParameters: [String: JSONValue]) -> Int {
    if name.hasSuffix("/blocks") || name.hasSuffix("/step_range") { return 0 }
    guard name.hasSuffix("/codes"), let dim = hyperParameters["dim"]?.intValue else { return shape.reduce(1, *) }
    return (shape.first ?? 0) * dim
  }

  /// The frequency block of a code or step tensor (`user/block1/codes`: 1); nil for the marks.
  public static func frequencyBlock(ofTensor name: String) -> Int? {
    guard let range = name.range(of: "/block"), name[range.upperBound...].first?.isNumber == true else { return nil }
    return Int(name[range.upperBound...].prefix { $0.isNumber })
  }

  /// For users and items: the 2-bit block mark of every row, and each block's codes without
  /// padding and its steps; 8-bit steps as `.../steps` bytes with their log range in
  /// `.../step_range`.
  public func tensors() -> [Tensor] {
    func part(_ prefix: String, _ codes: MixedCodes, _ logs: [LogSteps]?) -> [Tensor] {
      var out = [
        Tensor(
          name: "\(prefix)/blocks", shape: [MixedCodes.blockMarkBytes(rows: codes.rows)], uint8: codes.packedBlocks)
      ]
      for (b, block) in codes.blocks.enumerated() {
        let name = "\(prefix)/block\(b)"
        let rowBytes = PackedCodes.compactRowBytes(bits: block.bits, dim: block.dim)
        out.append(Tensor(name: "\(name)/codes", shape: [block.rows, rowBytes], uint8: block.compactBytes))
        if let log = logs?[b] {
          out.append(Tensor(name: "\(name)/steps", shape: [block.rows], uint8: log.codes))
          out.append(Tensor(name: "\(name)/step_range", shape: [2], floats: [log.low, log.high]))
        } else {
          out.append(Tensor(name: "\(name)/steps", shape: [block.rows], floats: block.steps))
        }
      }
      return out
    }
    return part("user", users, logSteps?.users) + part("item", items, logSteps?.items)
  }

  public convenience init(file: ModelFile) throws {
    try file.requireKind(Self.kind)
    let d = file.hyperParameters["dim"]?.intValue ?? 0
    let stepBits = file.hyperParameters["step_bits"]?.intValue
    func widths(_ key: String) throws -> [Int] {
      let widths = file.hyperParameters[key]?.arrayValue?.compactMap(\.intValue) ?? []
      guard SettingLimits.dim.contains(d), (1...WidthBlocks.maxBlocks).contains(widths.count),
        widths.allSatisfy(RowQuantizer.supportedBits.contains), stepBits == nil || stepBits == 8
      else {
        throw ModelFileError(
          path: file.path,
          reason: .invalidHeader("hqgnn-mixed model with dim \(d), \(key) \(widths) and step bits \(stepBits ?? 32)"))
      }
      return widths
    }
    /// Block `name`'s steps, and their 8-bit form when they are stored so.
    func steps(_ name: String, rows: Int) throws -> (steps: [Float], log: LogSteps?) {
      guard stepBits == 8 else { return (try file.floats("\(name)/steps", shape: [rows]), nil) }
      let range = try file.floats("\(name)/step_range", shape: [2])
      guard range.allSatisfy(\.isFinite), range[0] <= range[1] else {
        throw ModelFileError(path: file.path, reason: .invalidHeader("\(name)/step_range is not a finite range"))
      }
      let log = LogSteps(low: range[0], high: range[1], codes: try file.uint8s("\(name)/steps", shape: [rows]))
      return (log.steps, log)
    }
    func codes(_ prefix: String, rows: Int, widths: [Int]) throws -> (codes: MixedCodes, logs: [LogSteps]) {
      let marks = MixedCodes.unpackBlocks(
        try file.uint8s("\(prefix)/blocks", shape: [MixedCodes.blockMarkBytes(rows: rows)]), rows: rows)
      var sizes = [Int](repeating: 0, count: widths.count)
      for (r, b) in marks.enumerated() {
        guard Int(b) < widths.count else {
          throw ModelFileError(
            path: file.path, reason: .invalidHeader("\(prefix) row \(r) is in block \(b) of \(widths.count)"))
        }
        sizes[Int(b)] += 1
      }
      var logs: [LogSteps] = []
      let blocks = try widths.enumerated().map { b, bits in
        let name = "\(prefix)/block\(b)"
        let bytes = try file.uint8s(
          "\(name)/codes", shape: [sizes[b], PackedCodes.compactRowBytes(bits: bits, dim: d)])
        let (values, log) = try steps(name, rows: sizes[b])
        guard values.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
          throw ModelFileError(
            path: file.path, reason: .invalidHeader("\(name)/steps holds a negative or non-finite step"))
        }
        if let log { logs.append(log) }
        return PackedCodes(bits: bits, dim: d, rows: sizes[b], compactBytes: bytes, steps: values)
      }
      return (MixedCodes(blocks: blocks, block: marks), logs)
    }
    let users = try codes("user", rows: file.userIDs.count, widths: try widths("user_block_bits"))
    let items = try codes("item", rows: file.itemIDs.count, widths: try widths("block_bits"))
    self.init(
      users: users.codes, items: items.codes, layers: file.hyperParameters["layers"]?.intValue ?? 0,
      logSteps: stepBits == 8 ? (users: users.logs, items: items.logs) : nil)
  }
}

import CKernels

/// The deployable form of a quantized LightGCN (HQ-GNN): user and item codes and their steps,
/// no float embeddings. Scores are the dot products of the dequantized rows, computed from
/// the codes with bit arithmetic (XOR + popcount at 1 bit, bit-plane AND + popcount above).
/// Immutable, so any number of threads may use it at once.
public final class QuantizedEmbeddings: Recommender, Sendable {
  /// User codes.
  public let users: PackedCodes
  /// Item codes.
  public let items: PackedCodes
  /// Propagation layers the embeddings went through (recorded for `inspect`).
  public let layers: Int
  /// With 8-bit steps: the user and item steps as stored (`users` and `items` hold the steps
  /// they stand for); nil with float steps.
  public let logSteps: (users: LogSteps, items: LogSteps)?

  /// The search structure over the item codes, built with the model.
  public let index: CodeSearchIndex

  /// A model over user and item codes of the same width and bits; builds its search index.
  /// With `stepBits` 8, every step is rounded to its 8-bit log-scale code (`LogSteps`), and
  /// the model scores with the rounded steps it stores.
  public convenience init(users: PackedCodes, items: PackedCodes, layers: Int, stepBits: Int? = nil) {
    precondition(stepBits == nil || stepBits == 8, "steps are stored in 32 or 8 bits")
    guard stepBits == 8 else {
      self.init(users: users, items: items, layers: layers, logSteps: nil)
      return
    }
    let steps = (users: LogSteps(encoding: users.steps), items: LogSteps(encoding: items.steps))
    self.init(
      users: users.replacingSteps(steps.users.steps), items: items.replacingSteps(steps.items.steps), layers: layers,
      logSteps: steps)
  }

  /// The model over `users` and `items`, whose steps are those `logSteps` (when given) stands
  /// for.
  init(users: PackedCodes, items: PackedCodes, layers: Int, logSteps: (users: LogSteps, items: LogSteps)?) {
    precondition(users.bits == items.bits && users.dim == items.dim, "user and item codes differ in shape")
    self.users = users
    self.items = items
    self.layers = layers
    self.logSteps = logSteps
    index = CodeSearchIndex(items: items)
  }

  public var itemCount: Int { items.rows }

  /// The `k` best items of each query by exact search over the codes (`CodeSearchIndex`).
  public func search(_ queries: [ScoringQuery], k: Int) -> SearchResult {
    var words: [UInt64] = []
    var steps: [Float] = []
    words.reserveCapacity(queries.count * users.wordsPerRow)
    for q in queries {
      if let u = q.user {  // the stored row, without a one-row PackedCodes per query
        words.append(contentsOf: userWords(Int(u)))
        steps.append(users.steps[Int(u)])
      } else {
        let c = code(for: q)
        words.append(contentsOf: c.words)
        steps.append(c.steps[0])
      }
    }
    let codes = PackedCodes(bits: users.bits, dim: users.dim, rows: queries.count, words: words, steps: steps)
    return index.search(codes, k: k, filters: queries.map(\.filter))
  }

  /// Scores every item for each query. A query without a known user is folded in: the mean of
  /// its history's dequantized item rows, quantized like a user row.
  public func score(_ queries: ArraySlice<ScoringQuery>, into scores: UnsafeMutablePointer<Float>) {
    let n = items.rows
    let start = queries.startIndex
    items.words.withUnsafeBufferPointer { itemWords in
      items.steps.withUnsafeBufferPointer { itemSteps in
        items.codeSums.withUnsafeBufferPointer { itemSums in
          Parallel.forEach(queries.count, grain: 1) { k in
            let query = self.code(for: queries[start + k])
            query.words.withUnsafeBufferPointer { q in
              crk_code_scores(
                q.baseAddress, query.steps[0], query.codeSums[0], itemWords.baseAddress, itemSteps.baseAddress,
                itemSums.baseAddress, Int64(n), Int32(items.bits), Int32(items.wordsPerPlane), Int32(items.dim),
                scores + k * n)
            }
          }
        }
      }
    }
  }

  /// The code words of stored user row `r` (all its planes).
  private func userWords(_ r: Int) -> ArraySlice<UInt64> {
    let w = users.wordsPerRow
    return users.words[(r * w)..<(r * w + w)]
  }

  /// The query's codes as a one-row `PackedCodes`.
  private func code(for query: ScoringQuery) -> PackedCodes {
    let d = users.dim
    if let u = query.user {
      return PackedCodes(
        bits: users.bits, dim: d, rows: 1, words: Array(userWords(Int(u))), steps: [users.steps[Int(u)]])
    }
    return PackedCodes.foldingIn(items.dequantizedRows(query.history), with: users.quantizer)
  }
}

extension QuantizedEmbeddings: PersistableModel {
  public static let kind = "hqgnn"

  public var hyperParameters: [String: JSONValue] {
    var h: [String: JSONValue] = [
      "dim": .number(Double(items.dim)), "bits": .number(Double(items.bits)), "layers": .number(Double(layers)),
    ]
    if logSteps != nil { h["step_bits"] = 8 }
    return h
  }

  /// A code row stands for `dim` weights.
  public static func parameters(inTensor name: String, shape: [Int], hyperParameters: [String: JSONValue]) -> Int {
    guard name.hasSuffix("_codes"), let dim = hyperParameters["dim"]?.intValue else { return shape.reduce(1, *) }
    return (shape.first ?? 0) * dim
  }

  /// Codes and steps of users and items; 8-bit steps as `PREFIX_steps` bytes with their log
  /// range in `PREFIX_step_range`.
  public func tensors() -> [Tensor] {
    func part(_ prefix: String, _ codes: PackedCodes, _ steps: LogSteps?) -> [Tensor] {
      let stored = Tensor(name: "\(prefix)_codes", shape: [codes.rows, codes.wordsPerRow], uint64: codes.words)
      guard let steps else {
        return [stored, Tensor(name: "\(prefix)_steps", shape: [codes.rows], floats: codes.steps)]
      }
      return [
        stored, Tensor(name: "\(prefix)_steps", shape: [codes.rows], uint8: steps.codes),
        Tensor(name: "\(prefix)_step_range", shape: [2], floats: [steps.low, steps.high]),
      ]
    }
    return part("user", users, logSteps?.users) + part("item", items, logSteps?.items)
  }

  public convenience init(file: ModelFile) throws {
    try file.requireKind(Self.kind)
    let d = file.hyperParameters["dim"]?.intValue ?? 0
    let bits = file.hyperParameters["bits"]?.intValue ?? 0
    let stepBits = file.hyperParameters["step_bits"]?.intValue
    guard SettingLimits.dim.contains(d), RowQuantizer.supportedBits.contains(bits), stepBits == nil || stepBits == 8
    else {
      throw ModelFileError(path: file.path, reason: .invalidHeader("hqgnn model with dim \(d) and \(bits) bits"))
    }
    /// The codes of `prefix`, with their steps as stored when they are 8-bit.
    func codes(_ prefix: String, rows: Int) throws -> (codes: PackedCodes, logSteps: LogSteps?) {
      let perRow = bits * ((d + 63) / 64)
      let words = try file.uint64s("\(prefix)_codes", shape: [rows, perRow])
      // Bits past `dim` in each plane's last word must be clear, or popcounts would count them.
      if d % 64 != 0 {
        let padding = ~UInt64(0) << UInt64(d % 64)
        let planeWords = (d + 63) / 64
        for p in 0..<(rows * bits) where words[p * planeWords + planeWords - 1] & padding != 0 {
          throw ModelFileError(
            path: file.path, reason: .invalidHeader("\(prefix)_codes has bits set past dimension \(d)"))
        }
      }
      var logSteps: LogSteps?
      if stepBits == 8 {
        let range = try file.floats("\(prefix)_step_range", shape: [2])
        guard range.allSatisfy(\.isFinite), range[0] <= range[1] else {
          throw ModelFileError(path: file.path, reason: .invalidHeader("\(prefix)_step_range is not a finite range"))
        }
        logSteps = LogSteps(low: range[0], high: range[1], codes: try file.uint8s("\(prefix)_steps", shape: [rows]))
      }
      let steps = try logSteps?.steps ?? file.floats("\(prefix)_steps", shape: [rows])
      guard steps.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
        throw ModelFileError(
          path: file.path, reason: .invalidHeader("\(prefix)_steps holds a negative or non-finite step"))
      }
      return (PackedCodes(bits: bits, dim: d, rows: rows, words: words, steps: steps), logSteps)
    }
    let users = try codes("user", rows: file.userIDs.count)
    let items = try codes("item", rows: file.itemIDs.count)
    let layers = file.hyperParameters["layers"]?.intValue ?? 0
    let logSteps = users.logSteps.flatMap { u in items.logSteps.map { (users: u, items: $0) } }
    self.init(users: users.codes, items: items.codes, layers: layers, logSteps: logSteps)
  }
}

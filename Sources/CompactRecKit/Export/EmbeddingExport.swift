import Foundation

/// A model's ranking as plain vectors that other engines search: float32 user and item
/// vectors whose inner products are the model's scores, and for 1-bit models the packed
/// sign codes, with the id of every row. This is what `compactrec export` writes and what a
/// FAISS index or a vector database holds once a catalogue outgrows one machine.
///
/// - MF-BPR and LightGCN: the user and item embeddings.
/// - HQ-GNN codes: the dequantized rows, step_r (u - z), so inner products equal the code
///   scores exactly; at 1 bit also the sign bits (1 = positive), packed least significant
///   bit first (`numpy.packbits(bitorder="little")`, FAISS's binary layout).
/// - Sequential models with a full softmax: item rows [w_i, b_i] of the output layer and, for
///   every user of the file, the hidden state after its stored history as [h, 1], so
///   <user, item> = h w_i + b_i, the model's logit. A new history needs the encoder: the
///   query vector is [h, 1] for its hidden state h.
/// - The CpRec adaptive softmax scores an item of block b by h P_b w_i + c_i plus a shift
///   that depends on the query and the block (the head's log-probability of the block's
///   cluster minus the block's log-sum-exp). Items export as [P_b w_i, c_i, one-hot(b)] and
///   users as [h, 1, shift_0(h), ..., shift_B(h)]: one inner product again, equal to the
///   model's log-probability, but the query side needs the model to compute.
public struct EmbeddingExport {
  /// The model kind (`mf-bpr`, `lightgcn`, `hqgnn`, `sequential`).
  public var kind: String
  /// Item vectors, one row per item in the model's item order.
  public var items: Matrix
  /// User vectors, one row per user of the model file.
  public var users: Matrix
  /// Bits per dimension of the source codes (32 for float models).
  public var bits: Int
  /// For 1-bit models: packed sign bits of the items, `codeBytes` per row.
  public var itemCodes: [UInt8]?
  /// For 1-bit models: packed sign bits of the users, `codeBytes` per row.
  public var userCodes: [UInt8]?
  /// Bytes per packed sign code: ceil(dim / 8).
  public var codeBytes: Int
  /// Width of the model's own vectors (the exported rows may add columns, see the type).
  public var modelDim: Int
  /// What the columns of the exported vectors are, in words (for the manifest).
  public var layout: String

  /// The export of `model`. Throws `ExportError.unsupported` for a model without vectors
  /// (MostPop).
  public init(_ model: TrainedModel) throws {
    kind = model.kind
    bits = 32
    codeBytes = 0
    switch model.model {
    case let mf as MatrixFactorization:
      (users, items, modelDim) = (mf.userEmbedding.value, mf.itemEmbedding.value, mf.dim)
      layout = "the model's embeddings"
    case let lightgcn as LightGCNEmbeddings:
      let mf = lightgcn.scorer
      (users, items, modelDim) = (mf.userEmbedding.value, mf.itemEmbedding.value, mf.dim)
      layout = "the model's final (propagated) embeddings"
    case let codes as QuantizedEmbeddings:
      (users, items, modelDim, bits) = (
        codes.users.dequantized(), codes.items.dequantized(), codes.items.dim, codes.items.bits
      )
      layout = "the dequantized codes, step_r * (code - (2^bits - 1) / 2), per-row step folded in"
      if bits == 1 {
        codeBytes = (modelDim + 7) / 8
        itemCodes = Self.signBytes(codes.items, bytes: codeBytes)
        userCodes = Self.signBytes(codes.users, bytes: codeBytes)
      }
    case let mixed as MixedWidthEmbeddings:
      (users, items, modelDim, bits) = (
        mixed.users.dequantized(), mixed.items.dequantized(), mixed.items.dim,
        (mixed.users.widths + mixed.items.widths).max()!
      )
      layout = "the dequantized codes of every frequency block at its width, per-row step folded in"
    case let sequential as SequentialModel:
      guard model.hasHistories else { throw ExportError.noHistories }
      modelDim = sequential.encoder.width
      let queries = (0..<model.users.count).map { ScoringQuery(user: Int32($0), history: model.histories[$0]) }
      let hidden = sequential.finalHidden(queries)
      (users, items, layout) = try Self.outputVectors(sequential.output, hidden: hidden)
    default:
      throw ExportError.unsupported(kind: model.kind)
    }
  }

  /// The sign bits of `codes` (1-bit), `bytes` per row, least significant bit first: the
  /// little-endian bytes of each row's 64-bit words, cut to `bytes`.
  private static func signBytes(_ codes: PackedCodes, bytes: Int) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: codes.rows * bytes)
    let words = codes.wordsPerRow
    for r in 0..<codes.rows {
      for b in 0..<bytes {
        out[r * bytes + b] = UInt8(
          truncatingIfNeeded: codes.words[r * words + b / 8].littleEndian >> UInt64(8 * (b % 8)))
      }
    }
    return out
  }

  /// Item and user rows of a sequential output layer (see the type's documentation).
  private static func outputVectors(_ output: ItemOutput, hidden: Matrix) throws -> (Matrix, Matrix, String) {
    let ones = Matrix(rows: hidden.rows, cols: 1, repeating: 1)
    switch output {
    case let softmax as SoftmaxCrossEntropy:
      let items = softmax.weight.value.appendingColumns(softmax.bias.value.transposed())
      return (hidden.appendingColumns(ones), items, "users [h, 1], items [w_i, b_i] of the output softmax")
    case let adaptive as AdaptiveSoftmax:
      return adaptiveVectors(adaptive, hidden: hidden)
    default:
      throw ExportError.unsupported(kind: "sequential output \(type(of: output))")
    }
  }

  /// The adaptive softmax as one inner product: items [P_b w_i, c_i, one-hot(b)], users
  /// [h, 1, shift_0, ..., shift_B], where shift_b is each user's score of a block-b item minus
  /// its logit (the same for every item of the block).
  private static func adaptiveVectors(_ adaptive: AdaptiveSoftmax, hidden: Matrix) -> (Matrix, Matrix, String) {
    let blocks = adaptive.blocks
    let d = adaptive.width
    let columns = d + 1 + blocks.blockCount
    var items = Matrix(rows: blocks.itemCount, cols: columns)
    // Block b's rows (in frequency order) as d-wide vectors and biases.
    var blockVectors: [(vectors: Matrix, bias: [Float])] = []
    for b in 0..<blocks.blockCount {
      let table = b == 0 ? adaptive.head : adaptive.tails[b - 1]
      var w = table.weight.value
      var bias = table.bias.value.storage
      if b == 0 {
        w = Matrix(rows: blocks.size(0), cols: d, storage: Array(w.storage[0..<(blocks.size(0) * d)]))
        bias = Array(bias[0..<blocks.size(0)])
      } else {
        // logit = (h A + c) w_i + b_i = h (A w_i) + (c w_i + b_i).
        let projection = adaptive.projections[b - 1]
        let a = projection.weight.value
        let projected = w.multiplied(byTransposeOf: a)
        if let c = projection.bias?.value {
          let shifted = w.multiplied(byTransposeOf: c)
          for i in 0..<bias.count { bias[i] += shifted[i, 0] }
        }
        w = projected
      }
      blockVectors.append((w, bias))
    }
    for b in 0..<blocks.blockCount {
      let start = blocks.start(b)
      for j in 0..<blocks.size(b) {
        let item = Int(blocks.order[start + j])
        for c in 0..<d { items[item, c] = blockVectors[b].vectors[j, c] }
        items[item, d] = blockVectors[b].bias[j]
        items[item, d + 1 + b] = 1
      }
    }
    // Each user's shift per block, from the model's own scores of the block's first item.
    var users = Matrix(rows: hidden.rows, cols: columns)
    let chunk = 256
    for start in stride(from: 0, to: hidden.rows, by: chunk) {
      let rows = Array(start..<min(hidden.rows, start + chunk)).map { Int32($0) }
      let h = hidden.gathering(rows)
      let scores = adaptive.scores(h)
      for (k, r) in rows.enumerated() {
        let user = Int(r)
        for c in 0..<d { users[user, c] = h[k, c] }
        users[user, d] = 1
        for b in 0..<blocks.blockCount {
          let first = Int(blocks.order[blocks.start(b)])
          var logit = items[first, d]
          for c in 0..<d { logit += h[k, c] * items[first, c] }
          users[user, d + 1 + b] = scores[k, first] - logit
        }
      }
    }
    return (
      users, items, "users [h, 1, shift_0..shift_B], items [P_b w_i, c_i, one-hot(block)] of the adaptive softmax"
    )
  }
}

/// Why a model cannot be exported.
public enum ExportError: SettingNamingError, Equatable {
  /// The model kind has no vectors (MostPop) or an output layer export does not know.
  case unsupported(kind: String)
  /// A sequential model saved without histories has no user sequences to turn into vectors.
  case noHistories

  public func message(naming name: (Setting, String?) -> String) -> String {
    switch self {
    case .noHistories:
      return
        "the sequential model was saved with \(name(.keepHistories, "false")): its users have no sequences to export as vectors"
    case .unsupported(let kind):
      return "a \(kind) model has no vectors to export (export takes mf-bpr, lightgcn, hqgnn and sequential models)"
    }
  }
}

/// The items nearest to a given item, by the model's own item vectors or codes: what a
/// "more like this" shelf or a server's `similar` endpoint asks.
///
/// - Graph models (MF-BPR, LightGCN, HQ-GNN) score items against the item as they score them
///   against a user: the item's vector (HQ-GNN: its dequantized row, quantized like a user row)
///   is the query, so the search is the model's own inner-product search over its vectors or
///   codes.
/// - Sequential models compare their input embeddings (CpRec: each block's rows through its
///   projection) by cosine similarity, through a `FloatSearchIndex` over the normalized table.
/// - MostPop has no item vectors, so it has no `SimilarItems`.
///
/// Built once per loaded model; immutable, so any number of threads may search it.
public struct SimilarItems: @unchecked Sendable {
  private enum Geometry {
    case model(any Recommender)
    case cosine(FloatSearchIndex, Matrix)
  }

  private let geometry: Geometry

  /// The similarity search of `model`, or nil when the model kind has no item vectors.
  public init?(model: any Recommender) {
    switch model {
    case is MostPop:
      return nil
    case let sequential as SequentialModel:
      let table = sequential.input.infer(Array(0..<Int32(sequential.itemCount))).unitRows()
      geometry = .cosine(FloatSearchIndex(items: table), table)
    default:
      geometry = .model(model)
    }
  }

  /// The `k` items most similar to `item` under `filter`, best first; the item itself is never
  /// returned. Precondition: `item` and the filter's items are items of the model.
  public func similar(to item: Int32, k: Int, filter: ItemFilter = ItemFilter()) -> Ranking {
    let filter = filter.excluding([item])
    switch geometry {
    case .model(let model):
      return model.recommend([ScoringQuery(user: nil, history: [item], filter: filter)], k: k)[0]
    case .cosine(let index, let table):
      return index.search(table.gathering([item]), k: k, filters: [filter]).rankings[0]
    }
  }
}

/// CpRec's layer-wise parameter sharing for the middle network. LayerNorms always stay per
/// layer; only the weight layers are shared.
///
/// NextItNet (blocks of two convolutions; the dilation stays each layer's own):
/// - `crossLayer`: one convolution for every layer of every block;
/// - `crossBlock`: every block reuses the first block's two convolutions;
/// - `adjacentLayer`: the two convolutions of a block are one;
/// - `adjacentBlock`: blocks 2k and 2k+1 share both convolutions.
///
/// SASRec, whose blocks have six weight layers (attention query, key, value and output, the
/// feed-forward network's inner and outer layer, all (width, width) with a bias), reads the
/// same rules over them: `crossLayer` is one projection for all of them, `crossBlock` every
/// block reusing the first block's six, `adjacentLayer` one projection per block, and
/// `adjacentBlock` blocks 2k and 2k+1 sharing their six.
public enum LayerSharing: String, CaseIterable, Codable, Sendable {
  case none
  case crossLayer = "cross-layer"
  case crossBlock = "cross-block"
  case adjacentLayer = "adjacent-layer"
  case adjacentBlock = "adjacent-block"

  /// The (block, layer) whose parameters weight layer `layer` of block `block` uses.
  func source(block: Int, layer: Int) -> (block: Int, layer: Int) {
    switch self {
    case .none: return (block, layer)
    case .crossLayer: return (0, 0)
    case .crossBlock: return (0, layer)
    case .adjacentLayer: return (block, 0)
    case .adjacentBlock: return (block - block % 2, layer)
    }
  }
}

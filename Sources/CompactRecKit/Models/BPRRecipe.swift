/// The training settings every BPR-trained model shares, so tools can set them in one place.
public protocol BPRRecipe {
  var dim: Int { get set }
  var epochs: Int { get set }
  var batchSize: Int { get set }
  var learningRate: Float { get set }
  var l2: Float { get set }
  var seed: UInt64 { get set }
  var evaluateEvery: Int { get set }
  var patience: Int { get set }
  var sampling: PositiveSampling { get set }
}

extension MatrixFactorization.Configuration: BPRRecipe {}
extension LightGCN.Configuration: BPRRecipe {}

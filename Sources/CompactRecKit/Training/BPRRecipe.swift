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
  var schedule: LearningRateSchedule { get set }
  /// Stop after this many of the `epochs` epochs (a refit of an epoch validation chose); nil
  /// runs them all. The learning rate's course is still that of `epochs`.
  var stopAfter: Int? { get set }
}

extension MatrixFactorization.Configuration: BPRRecipe {}
extension LightGCN.Configuration: BPRRecipe {}

extension BPRRecipe {
  /// An estimate of the peak bytes of training on `users` x `items` with `interactions`
  /// training pairs, propagating over `layers` graph layers (0 for MF): the embeddings with
  /// their gradients and Adam moments, the propagated layers, the sampler's order and the
  /// batch's rows. O(1).
  public func estimatedTrainingBytes(users: Int, items: Int, interactions: Int, layers: Int) -> Double {
    let rows = Double(users + items) * Double(dim)
    return 4 * rows * (4 + 3 * Double(layers)) + 24 * Double(interactions) + 48 * Double(batchSize) * Double(dim)
  }
}

extension BPRRecipe where Self: Encodable {
  /// The settings a resumed run must share with its checkpoint (`checkpointSettings(of:)`):
  /// all but the refit's stopping point and, when the learning rate is constant, the epoch
  /// count (such a run may be continued for longer; a decaying rate's course depends on it).
  func checkpointSettings(model: String) throws -> [String: JSONValue] {
    try CompactRecKit.checkpointSettings(
      of: self, model: model, seed: seed, changeable: ["stop_after"] + (schedule == .constant ? ["epochs"] : []))
  }
}

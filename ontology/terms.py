"""The bmkg ontology's terms as an rdflib DefinedNamespace.

GENERATED from bmkg.ttl by ontology/generate.py: do not edit by hand.
"""

from rdflib import URIRef
from rdflib.namespace import DefinedNamespace, Namespace


class BM(DefinedNamespace):
    _NS = Namespace("https://w3id.org/bmkg/ontology#")
    _fail = True

    ASICAccelerator: URIRef  # class
    Accelerator: URIRef  # class
    AudioModel: URIRef  # class
    Benchmark: URIRef  # class
    BigModel: URIRef  # class
    BiologyModel: URIRef  # class
    CPU: URIRef  # class
    CodeModel: URIRef  # class
    Country: URIRef  # class
    Dataset: URIRef  # class
    DrivingModel: URIRef  # class
    EarthScienceModel: URIRef  # class
    EloPoint: URIRef  # individual
    EvaluationResult: URIRef  # class
    GPU: URIRef  # class
    GameModel: URIRef  # class
    Hardware: URIRef  # class
    ImageGenerationModel: URIRef  # class
    KnowledgeResource: URIRef  # class
    LanguageModel: URIRef  # class
    MaterialsScienceModel: URIRef  # class
    MathematicsModel: URIRef  # class
    MedicineModel: URIRef  # class
    Metric: URIRef  # class
    Model: URIRef  # class
    ModelFamily: URIRef  # class
    ModelVersion: URIRef  # class
    MultimodalModel: URIRef  # class
    NPU: URIRef  # class
    OpenProblem: URIRef  # class
    Organization: URIRef  # class
    Part: URIRef  # class
    ProteinModel: URIRef  # class
    Publication: URIRef  # class
    RecommendationModel: URIRef  # class
    RoadmapConcept: URIRef  # class
    RoboticsModel: URIRef  # class
    SearchModel: URIRef  # class
    SoftwareSystem: URIRef  # class
    SourceClaim: URIRef  # class
    SpeechModel: URIRef  # class
    Subtopic: URIRef  # class
    TPU: URIRef  # class
    Task: URIRef  # class
    Technique: URIRef  # class
    ThreeDModel: URIRef  # class
    Topic: URIRef  # class
    ValueConflict: URIRef  # class
    VideoModel: URIRef  # class
    VisionModel: URIRef  # class
    accessLevel: URIRef  # datatype property
    addressedBy: URIRef  # object property
    addresses: URIRef  # object property
    agentScaffold: URIRef  # datatype property
    apiUrl: URIRef  # datatype property
    arxivId: URIRef  # datatype property
    baseClockMhz: URIRef  # datatype property
    baseModel: URIRef  # object property
    batchSize: URIRef  # datatype property
    benchmarkDataset: URIRef  # object property
    benchmarkPart: URIRef  # object property
    benchmarkResult: URIRef  # object property
    boostClockMhz: URIRef  # datatype property
    broaderTopic: URIRef  # object property
    citationCount: URIRef  # datatype property
    claim: URIRef  # object property
    claimOf: URIRef  # object property
    claimedValue: URIRef  # datatype property
    codeUrl: URIRef  # datatype property
    comparedAcrossSources: URIRef  # annotation property
    computeEstimationMethod: URIRef  # datatype property
    concernedBy: URIRef  # object property
    concerns: URIRef  # object property
    concernsModelKind: URIRef  # object property
    confidenceLevel: URIRef  # datatype property
    conflictOn: URIRef  # object property
    conflictProperty: URIRef  # object property
    contextLengthTokens: URIRef  # datatype property
    country: URIRef  # object property
    countryOf: URIRef  # object property
    datasetOfBenchmark: URIRef  # object property
    datasetSizeBytes: URIRef  # datatype property
    datasetSizeItems: URIRef  # datatype property
    datasetSizeTokens: URIRef  # datatype property
    derivedModel: URIRef  # object property
    describedIn: URIRef  # object property
    developed: URIRef  # object property
    developedBy: URIRef  # object property
    dieSizeMm2: URIRef  # datatype property
    discussedIn: URIRef  # object property
    discusses: URIRef  # object property
    doi: URIRef  # datatype property
    epochCount: URIRef  # datatype property
    evaluatedOn: URIRef  # object property
    evaluates: URIRef  # object property
    fabricated: URIRef  # object property
    familyMember: URIRef  # object property
    finetuneComputeFlop: URIRef  # datatype property
    foundationModel: URIRef  # datatype property
    foundry: URIRef  # object property
    fp16FlopPerSecond: URIRef  # datatype property
    fp16TensorFlopPerSecond: URIRef  # datatype property
    fp32FlopPerSecond: URIRef  # datatype property
    fp4FlopPerSecond: URIRef  # datatype property
    fp64FlopPerSecond: URIRef  # datatype property
    fp8FlopPerSecond: URIRef  # datatype property
    frontierModel: URIRef  # datatype property
    hardwareQuantity: URIRef  # datatype property
    hardwareUtilizationFraction: URIRef  # datatype property
    hasConflict: URIRef  # object property
    hasResult: URIRef  # object property
    hasSubtopic: URIRef  # object property
    hasTopic: URIRef  # object property
    hasVersion: URIRef  # object property
    helmId: URIRef  # datatype property
    homepage: URIRef  # datatype property
    huggingFaceDeveloper: URIRef  # datatype property
    implementedBy: URIRef  # object property
    implementsTechnique: URIRef  # object property
    impliedBy: URIRef  # object property
    impliesTopic: URIRef  # object property
    inFamily: URIRef  # object property
    inferenceCodeAccessibility: URIRef  # datatype property
    inputSha256: URIRef  # datatype property
    int16OpPerSecond: URIRef  # datatype property
    int4OpPerSecond: URIRef  # datatype property
    int8OpPerSecond: URIRef  # datatype property
    internodeBandwidthBitsPerSecond: URIRef  # datatype property
    intranodeBandwidthBytesPerSecond: URIRef  # datatype property
    introducedIn: URIRef  # object property
    introduces: URIRef  # object property
    manufactured: URIRef  # object property
    manufacturer: URIRef  # object property
    mappingVersion: URIRef  # datatype property
    measuredBy: URIRef  # object property
    measuresTask: URIRef  # object property
    memoryBandwidthBytesPerSecond: URIRef  # datatype property
    memoryBusBits: URIRef  # datatype property
    memoryBytes: URIRef  # datatype property
    memoryClockMhz: URIRef  # datatype property
    metric: URIRef  # object property
    metricOf: URIRef  # object property
    modality: URIRef  # datatype property
    modelAccessibility: URIRef  # datatype property
    narrowerTopic: URIRef  # object property
    naturalLanguage: URIRef  # datatype property
    notAfterBuildDate: URIRef  # annotation property
    notabilityCriterion: URIRef  # datatype property
    notableModel: URIRef  # datatype property
    onBenchmark: URIRef  # object property
    organizationCategory: URIRef  # datatype property
    parameterCount: URIRef  # datatype property
    partOfBenchmark: URIRef  # object property
    performsTask: URIRef  # object property
    problemStatus: URIRef  # datatype property
    processNodeNm: URIRef  # datatype property
    publicationDate: URIRef  # datatype property
    publicationYear: URIRef  # datatype property
    reasoningEffort: URIRef  # datatype property
    recordsRead: URIRef  # datatype property
    recordsRejected: URIRef  # datatype property
    relatedModel: URIRef  # object property
    relatedTopic: URIRef  # object property
    releaseDate: URIRef  # datatype property
    releasePriceUsd: URIRef  # datatype property
    reportedIn: URIRef  # object property
    reportedScore: URIRef  # datatype property
    reportsResult: URIRef  # object property
    resultFor: URIRef  # object property
    resultForVersion: URIRef  # object property
    roadmapOrder: URIRef  # datatype property
    runDate: URIRef  # datatype property
    scoreLowerBound: URIRef  # datatype property
    scoreStandardError: URIRef  # datatype property
    scoreUnit: URIRef  # object property
    scoreUpperBound: URIRef  # datatype property
    scoreValue: URIRef  # datatype property
    shotCount: URIRef  # datatype property
    snapshotDate: URIRef  # datatype property
    sourceTitle: URIRef  # datatype property
    sourceUrl: URIRef  # datatype property
    sourceVariant: URIRef  # datatype property
    subtopicOf: URIRef  # object property
    taskPerformedBy: URIRef  # object property
    tdpWatts: URIRef  # datatype property
    techniqueUsedBy: URIRef  # object property
    tensorCoreCount: URIRef  # datatype property
    tf32FlopPerSecond: URIRef  # datatype property
    topicOf: URIRef  # object property
    trained: URIRef  # object property
    trainedInCloudOf: URIRef  # object property
    trainingApproach: URIRef  # datatype property
    trainingCloudVendor: URIRef  # object property
    trainingCodeAccessibility: URIRef  # datatype property
    trainingComputeCostUsd2023: URIRef  # datatype property
    trainingComputeFlop: URIRef  # datatype property
    trainingComputeLowerBoundFlop: URIRef  # datatype property
    trainingComputeUpperBoundFlop: URIRef  # datatype property
    trainingDataset: URIRef  # object property
    trainingDatasetOf: URIRef  # object property
    trainingDatasetSizeDatapoints: URIRef  # datatype property
    trainingHardware: URIRef  # object property
    trainingPowerDrawWatts: URIRef  # datatype property
    trainingTimeHours: URIRef  # datatype property
    transistorCountMillions: URIRef  # datatype property
    usesTechnique: URIRef  # object property
    versionId: URIRef  # datatype property
    versionOf: URIRef  # object property
    versionResult: URIRef  # object property
    weightsUrl: URIRef  # datatype property
    whyOpen: URIRef  # datatype property
    withdrawalReason: URIRef  # datatype property
    withdrawn: URIRef  # datatype property
    withinRounding: URIRef  # datatype property

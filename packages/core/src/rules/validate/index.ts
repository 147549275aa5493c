export { crossCheck } from './cross-check';
export { meshFactsOf, type MeshFacts, type MeshService } from './mesh-facts';
export { targetProblems } from './target-problems';
export { normaliseWeights } from './weights';
export { RULE_PROBLEM_CODES, type RuleProblemCode } from './problem-codes';
export { re2Problem, ecmaScriptDifference, MAX_REGEX_LENGTH } from './regex';
export { V1_RETRY_ON } from './v1-limits';
export { GRPC_RETRY_ON } from './grpc-limits';
export { V3_REDIRECT_CODES } from './v3-limits';

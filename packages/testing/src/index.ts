export { freePort } from "./free-port";
export { waitFor, type TWaitForOptions } from "./wait-for";

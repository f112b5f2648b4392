/** Nested types accepted as resource and invoke inputs. */
export * as input from "./input";
/** Nested types returned in resource outputs and invoke results. */
export * as output from "./output";

"use strict";
// Type-only module: the interfaces live in output.d.ts. This file exists so that
// `require("./output")` works at run time for code that imports it.
Object.defineProperty(exports, "__esModule", { value: true });

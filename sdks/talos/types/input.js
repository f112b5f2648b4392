"use strict";
// Type-only module: the interfaces live in input.d.ts. This file exists so that
// `require("./input")` works at run time for code that imports it.
Object.defineProperty(exports, "__esModule", { value: true });

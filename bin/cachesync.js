#!/usr/bin/env node
import '../dist/cmd/cachesync.js'

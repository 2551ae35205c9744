module.exports = require("./labStackGlobal").setup;

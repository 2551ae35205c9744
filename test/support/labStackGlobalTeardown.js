module.exports = require("./labStackGlobal").teardown;

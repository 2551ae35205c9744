// The integration project's global setup: npm start's lab stack out of the way, then the
// package packed once for the tests that install it as users do.
module.exports = async function setup() {
  await require("./labStackGlobal").setup();
  require("./packageTarball").setup();
};

module.exports = async function teardown() {
  require("./packageTarball").teardown();
  await require("./labStackGlobal").teardown();
};

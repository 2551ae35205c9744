# Sourced by the scripts that need the lab for one run (test/run-all.sh, bench/run.sh):
# a lab already up (`npm start` ran first) is used and left up; otherwise it is booted and
# torn down when the script exits, and the teardown is checked: a lab that leaves anything
# behind fails the run.
teardown_lab() {
  local status=$?
  bash test/lab/lab.sh down
  bash test/lab/lab.sh check-clean || status=1
  exit $status
}
if [ -f test/lab/inventory.json ] && bash test/lab/lab.sh status >/dev/null 2>&1; then
  echo "the lab is already up; leaving it up afterwards"
else
  trap teardown_lab EXIT
  bash test/lab/lab.sh up
fi

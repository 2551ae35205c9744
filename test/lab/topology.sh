# The lab's hosts. One row per VM:
#   name  role        ssh-port-offset  last-octet  on-back-segment  runs-web-server
# Addresses: front 10.77.0.<octet> / fd77::<octet>, back 10.77.1.<octet> / fd77:1::<octet>.
# These ranges exist only on the lab's own bridges; nothing routes them anywhere else.
LAB_HOSTS=(
  "client client     0 10 no  no"
  "dir1   director   1 11 yes no"
  "dir2   director   2 12 yes no"
  "rs1    realserver 11 21 yes yes"
  "rs2    realserver 12 22 yes yes"
  "rs3    realserver 13 23 yes yes"
)
LAB_FRONT_BRIDGE=lvsfront0
LAB_BACK_BRIDGE=lvsback0
LAB_FRONT4=10.77.0
LAB_BACK4=10.77.1
LAB_FRONT6=fd77:
LAB_BACK6=fd77:1:
